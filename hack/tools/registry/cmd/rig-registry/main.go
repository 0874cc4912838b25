// Command rig-registry is the rig's local registry: go-containerregistry's
// registry handler on a loopback address, with blobs kept on disk and every
// manifest write journaled, so that a restarted registry serves the same
// tags (go-containerregistry keeps manifests in memory only).
//
// Unlike go-containerregistry's cmd/registry it binds 127.0.0.1 (not
// "localhost"), takes port 0 for a free port and writes the port it got to
// -port-file, and adds no random warning headers.
//
// Example:
//
//	rig-registry -addr 127.0.0.1:0 -port-file .rig/registry/port \
//	  -blobs .rig/registry/blobs -journal .rig/registry/manifests.jsonl
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on; port 0 picks a free port")
	portFile := flag.String("port-file", "", "file to write the port to once listening")
	blobs := flag.String("blobs", "", "folder for blobs (default: keep them in memory)")
	journalPath := flag.String("journal", "", "file that records manifest writes, replayed at start (default: none)")
	flag.Parse()

	logger := log.New(os.Stderr, "", log.LstdFlags)
	opts := []registry.Option{registry.Logger(logger)}
	if *blobs != "" {
		if err := os.MkdirAll(*blobs, 0o755); err != nil {
			log.Fatalf("failed to create blob folder: %v", err)
		}
		opts = append(opts, registry.WithBlobHandler(registry.NewDiskBlobHandler(*blobs)))
	}
	var handler http.Handler = registry.New(opts...)
	if *journalPath != "" {
		j, err := openJournal(*journalPath, handler)
		if err != nil {
			log.Fatalf("failed to open journal: %v", err)
		}
		handler = j
	}

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("failed to listen: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if *portFile != "" {
		if err := writeFileAtomic(*portFile, strconv.Itoa(port)+"\n"); err != nil {
			log.Fatalf("failed to write port file: %v", err)
		}
	}
	log.Printf("serving on %s", l.Addr())

	s := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: handler}
	log.Fatal(s.Serve(l))
}

// journal passes requests to next and appends each successful manifest PUT or
// DELETE to a file, one JSON record a line.
type journal struct {
	mu   sync.Mutex // serializes manifest writes, so the file has their order
	f    *os.File
	next http.Handler
}

type record struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	ContentType string `json:"contentType,omitempty"`
	Body        []byte `json:"body,omitempty"`
}

// openJournal replays the records in path through next, then opens path for
// appending.
func openJournal(path string, next http.Handler) (*journal, error) {
	n, failed, err := replay(path, next)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		log.Printf("replayed %d manifest writes from %s (%d failed)", n, path, failed)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return &journal{f: f, next: next}, nil
}

func replay(path string, next http.Handler) (n, failed int, err error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return 0, 0, nil
	} else if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			// A torn last line after a crash: keep what came before.
			log.Printf("skipping a bad journal record: %v", err)
			continue
		}
		req := httptest.NewRequest(r.Method, r.Path, bytes.NewReader(r.Body))
		if r.ContentType != "" {
			req.Header.Set("Content-Type", r.ContentType)
		}
		w := httptest.NewRecorder()
		next.ServeHTTP(w, req)
		n++
		if w.Code >= 300 {
			failed++
			log.Printf("replaying %s %s: %d %s", r.Method, r.Path, w.Code, strings.TrimSpace(w.Body.String()))
		}
	}
	return n, failed, sc.Err()
}

func (j *journal) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if !isManifestWrite(req) {
		j.next.ServeHTTP(w, req)
		return
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "failed to read body", http.StatusBadRequest)
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(body))

	j.mu.Lock()
	defer j.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	j.next.ServeHTTP(sw, req)
	if sw.status >= 300 {
		return
	}
	r := record{Method: req.Method, Path: req.URL.Path, ContentType: req.Header.Get("Content-Type")}
	if req.Method == http.MethodPut {
		r.Body = body
	}
	line, err := json.Marshal(r)
	if err == nil {
		_, err = j.f.Write(append(line, '\n'))
	}
	if err != nil {
		log.Printf("failed to journal %s %s: %v", req.Method, req.URL.Path, err)
	}
}

func isManifestWrite(req *http.Request) bool {
	return (req.Method == http.MethodPut || req.Method == http.MethodDelete) &&
		strings.HasPrefix(req.URL.Path, "/v2/") && strings.Contains(req.URL.Path, "/manifests/")
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func writeFileAtomic(path, content string) error {
	tmp := fmt.Sprintf("%s.%d", path, os.Getpid())
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
