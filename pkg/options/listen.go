package options

import (
	"errors"
	"net/netip"
	"path"
	"strconv"
	"strings"
)

// Listen is one socket of --listen (RESTART_LISTEN): the supervisor opens it
// once, before the first generation, and hands it to every generation as a
// file descriptor, by the systemd socket-activation protocol.
type Listen struct {
	Network string // "tcp" or "unix"
	Host    string // tcp: an IP address, "" for every address
	Port    int    // tcp: 1-65535
	Path    string // unix: an absolute path
}

const listenWant = "comma-separated sockets tcp:PORT, tcp:HOST:PORT, tcp:[IPv6]:PORT or unix:/absolute/path, " +
	"where HOST is an IP address, e.g. tcp:8080,unix:/tmp/app.sock"

// ParseListen parses one socket of --listen: tcp:8080 (every address),
// tcp:127.0.0.1:8080, tcp:[::1]:8080 or unix:/tmp/app.sock. HOST is an IP
// address, not a name: the supervisor resolves nothing.
//
// Example:
//
//	l, err := options.ParseListen("tcp:[::]:9090") // {tcp :: 9090 ""}
func ParseListen(s string) (Listen, error) {
	network, rest, ok := strings.Cut(s, ":")
	switch {
	case !ok:
	case network == "unix":
		p, ok := cleanAbs(rest)
		if ok && p != "/" && !strings.ContainsRune(p, ',') {
			return Listen{Network: network, Path: p}, nil
		}
	case network == "tcp":
		host, port := "", rest
		if i := strings.LastIndexByte(rest, ':'); i >= 0 {
			host, port = rest[:i], rest[i+1:]
			if strings.HasPrefix(host, "[") != strings.HasSuffix(host, "]") || host == "" {
				break
			}
			v6 := strings.HasPrefix(host, "[")
			addr, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
			if err != nil || addr.Zone() != "" || addr.Is6() != v6 {
				break
			}
			host = addr.String()
		}
		n, err := strconv.Atoi(port)
		if err == nil && n >= 1 && n <= 65535 && port[0] != '+' && port[0] != '0' {
			return Listen{Network: network, Host: host, Port: n}, nil
		}
	}
	return Listen{}, errors.New("invalid socket " + Quote(s) + ": want tcp:PORT, tcp:HOST:PORT, tcp:[IPv6]:PORT or unix:/absolute/path")
}

// String renders l as ParseListen reads it.
func (l Listen) String() string {
	switch {
	case l.Network == "unix":
		return "unix:" + l.Path
	case l.Host == "":
		return "tcp:" + strconv.Itoa(l.Port)
	case strings.Contains(l.Host, ":"):
		return "tcp:[" + l.Host + "]:" + strconv.Itoa(l.Port)
	}
	return "tcp:" + l.Host + ":" + strconv.Itoa(l.Port)
}

// Name is the socket's name in LISTEN_FDNAMES, e.g. tcp-8080 or
// unix-app.sock: sd_listen_fds_with_names splits that variable on colons, so
// a name holds none.
func (l Listen) Name() string {
	if l.Network == "unix" {
		return "unix-" + strings.ReplaceAll(path.Base(l.Path), ":", "-")
	}
	return "tcp-" + strconv.Itoa(l.Port)
}

func parseListens(v string) ([]Listen, error) {
	var list []Listen
	for _, s := range strings.Split(v, ",") {
		if s == "" {
			continue
		}
		l, err := ParseListen(s)
		if err != nil {
			return nil, err
		}
		if !containsListen(list, l) {
			list = append(list, l)
		}
	}
	return list, nil
}

func containsListen(list []Listen, l Listen) bool {
	for _, x := range list {
		if x == l {
			return true
		}
	}
	return false
}

func formatListens(list []Listen) string {
	s := make([]string, len(list))
	for i, l := range list {
		s[i] = l.String()
	}
	return strings.Join(s, ",")
}
