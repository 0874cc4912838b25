package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/pkg/errors"
)

// exec runs argv in container id the way Tilt's ExecInContainer does it on
// the Engine API: inspect the container, create an exec, start it attached
// on a hijacked connection (stdin copied, then half-closed), read its output
// to the end, and inspect the exec until it stopped. A TTY is asked for only
// without stdin, as Tilt does. It fails on a non-zero exit code.
func (e *engine) exec(ctx context.Context, id string, argv []string, stdin []byte) error {
	if err := e.call(ctx, http.MethodGet, "/containers/"+id+"/json", nil, nil); err != nil {
		return err
	}
	tty := stdin == nil
	var created struct {
		ID string `json:"Id"`
	}
	if err := e.call(ctx, http.MethodPost, "/containers/"+id+"/exec", map[string]any{
		"Cmd": argv, "AttachStdin": !tty, "AttachStdout": true, "AttachStderr": true, "Tty": tty,
	}, &created); err != nil {
		return err
	}
	out, err := e.hijack(ctx, "/exec/"+created.ID+"/start", map[string]any{"Detach": false, "Tty": tty}, stdin)
	if err != nil {
		return errors.Wrapf(err, "exec %s", strings.Join(argv, " "))
	}
	// The output ends when the process does; the exec's state follows at
	// once. Like Tilt, inspect again without pausing until it does.
	for {
		var state struct {
			Running  bool
			ExitCode int
		}
		if err := e.call(ctx, http.MethodGet, "/exec/"+created.ID+"/json", nil, &state); err != nil {
			return err
		}
		if state.Running {
			continue
		}
		if state.ExitCode != 0 {
			return errors.Errorf("exec %s: exit code %d: %s", strings.Join(argv, " "), state.ExitCode, lastLines(string(out), 10))
		}
		return nil
	}
}

// restart restarts container id without waiting for it to stop, as Tilt's
// restart_container() does on Compose (ContainerRestart with timeout 0).
func (e *engine) restart(ctx context.Context, id string) error {
	return e.call(ctx, http.MethodPost, "/containers/"+id+"/restart?t=0", nil, nil)
}

// call sends a request with in as its JSON body (none if nil) and decodes
// the JSON answer into out (ignored if nil).
func (e *engine) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return errors.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	return errors.Wrapf(json.Unmarshal(b, out), "%s %s", method, path)
}

// hijack posts in to path asking for the connection to be upgraded to a raw
// stream (as the Docker client does for exec start), writes stdin to it and
// half-closes it, and returns what the daemon sent until it closed the
// stream.
func (e *engine) hijack(ctx context.Context, path string, in any, stdin []byte) ([]byte, error) {
	conn, err := e.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	b, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "tcp")
	if err := req.Write(conn); err != nil {
		return nil, err
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return nil, errors.Errorf("POST %s: %s: %s", path, resp.Status, bytes.TrimSpace(msg))
	}
	written := make(chan error, 1)
	go func() {
		if stdin == nil {
			written <- nil
			return
		}
		_, err := conn.Write(stdin)
		if hc, ok := conn.(interface{ CloseWrite() error }); ok && err == nil {
			err = hc.CloseWrite()
		}
		written <- err
	}()
	out, err := io.ReadAll(r)
	if werr := <-written; err == nil && werr != nil && !errors.Is(werr, net.ErrClosed) {
		err = werr
	}
	return out, err
}
