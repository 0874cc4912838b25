package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// messageDirs hold the code whose messages users see: everything that goes
// into the frontend image, that is the frontend (the build fails with its
// messages), the supervisor (lines of the container's log, and the output
// of `restart`), the packages they share and the tools that RESTART_TOOLS=on
// adds. Whole folders, so that a package moved or added there is read too.
var messageDirs = []string{"cmd", "pkg"}

// notOurs are troubleshooting entries that quote BuildKit, Docker, Tilt or
// the kernel rather than this code, by their first words.
var notOurs = []string{
	"failed to resolve source metadata for",    // BuildKit cannot pull the frontend image
	"... image must include tar",               // Tilt
	"sh: not found",                            // the image's lack of a shell
	"tar: ...: Cannot open: Permission denied", // GNU tar in the image
	"address already in use",                   // the app's own bind
	"docker stop",                              // a command, not a message
	"... is a directory",                       // the kernel's EISDIR, after the supervisor's "cannot run FILE: "
	"Cannot utime",                             // GNU tar in the image
	"Cannot change mode",                       // GNU tar in the image
}

// composed are pieces of entries that the code joins from two literals
// around a value, so no single literal holds them.
var composed = map[string]string{
	"as uid":          `pkg/supervisor/trigger.go: "as " + "uid " + the uid`,
	"processes after": `pkg/supervisor/lifecycle.go: N + " processes", then "after " + the stop timeout`,
}

// undocumented are messages the code can print that need no entry, by a
// part of their text, each with the reason.
var undocumented = map[string]string{
	"want tcp:PORT, tcp:HOST:PORT, tcp:[IPv6]:PORT or unix:/absolute/path": "ParseListen's; ParseConfig reports an OptionError instead",
	"is out of range 1-": "the ERROR at the end of the STOPSIGNAL entry's message",
	"is the supervisor's own: it runs the app with --listen sockets":       "only when someone runs the supervisor's internal shim by hand",
	"cannot watch the trigger's directory":                                 "the ERROR inside the \"inotify is unavailable\" entry's message",
	"watch: the trigger must be an absolute path":                          "internal: pkg/options checked the trigger already",
	"is not an absolute directory":                                         "internal: pkg/options checked RESTART_WATCH already",
	"inotify is only available on Linux":                                   "only in builds for other systems, where the supervisor does not run",
	"restart runs on linux only, not on":                                   "only in builds for other systems, where the supervisor does not run",
	"the other end is not in this container (its mount namespace differs)": "the ERROR inside the \"held by a process outside this container\" entry's message",
	"not a supervisor's status stream":                                     "the ERROR inside the \"held by a process outside this container\" entry's message",
	"it is not a regular file":                                             "named beside \"it is a symbolic link\" in that entry",
	"failed to write":                                                      "internal: pkg/rewrap writes its tar layer to memory",
}

// TestTroubleshootingQuotesTheCode checks that each message that
// docs/troubleshooting.md quotes (an entry starts with **`message`**) is
// one the code prints. The entry writes variable parts in capitals and
// elides with "..."; the code joins wrapped errors with ": " or "; ". So
// the entry is cut at those places, and every piece of two words or more
// must be part of a string literal of the code.
func TestTroubleshootingQuotesTheCode(t *testing.T) {
	literals := codeLiterals(t)
entries:
	for _, e := range troubleshootingEntries(t) {
		for _, p := range notOurs {
			if strings.HasPrefix(e, p) {
				continue entries
			}
		}
		for _, piece := range pieces(e) {
			if _, ok := composed[piece]; !ok && !containsAny(literals, piece) {
				t.Errorf("docs/troubleshooting.md quotes %q, but no string of the code has %q", e, piece)
			}
		}
	}
}

// TestTroubleshootingCoversTheCode checks the other way: every error the
// code makes (errors.New, errors.Errorf, errors.Wrap, errors.Wrapf,
// fmt.Errorf) and every line the supervisor logs as an error (its logger's
// error method) is quoted on the page. The message's key is the longest
// piece of its literal text between format verbs and the parts joined in;
// a key of fewer than three words says too little to look for (such as the
// "restart: " that starts the lines of `restart`), and undocumented lists
// the messages that need no entry.
func TestTroubleshootingCoversTheCode(t *testing.T) {
	page := normalize(readFile(t, "docs/troubleshooting.md"))
	messages := codeMessages(t)
	for _, m := range messages {
		if len(strings.Fields(m.key)) < 3 {
			continue
		}
		if _, ok := undocumented[m.key]; ok {
			continue
		}
		if !strings.Contains(page, m.key) {
			t.Errorf("%s: message %q is not on docs/troubleshooting.md: add an entry, or list it in undocumented with a reason", m.pos, m.key)
		}
	}
	for key := range undocumented {
		found := false
		for _, m := range messages {
			found = found || m.key == key
		}
		if !found {
			t.Errorf("undocumented lists %q, which the code no longer prints: remove it", key)
		}
	}
}

var (
	entry = regexp.MustCompile("(?s)\\*\\*`(.+?)`\\*\\*")
	// A placeholder is a word in capitals (VALUE, RESTART_NAME, OS/ARCH,
	// N, the X of -X), a value the code fills in from a constant or the
	// platform (an absolute path, a duration, linux/ARCH, the example after
	// "e.g."), an elision, or a list elided as [...].
	placeholder = regexp.MustCompile(`\[\.\.\.\]|\.\.\.|…|\b[A-Z][A-Z0-9_/]*\b|(^|\s)/[\w./-]*|\b\d+(ms|s)\b|\blinux/|e\.g\. \S+`)
	// Wrapped errors and lists are joined by these.
	joint = regexp.MustCompile(`: |; |"|\(|\)`)
	verb  = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)
)

// troubleshootingEntries returns the messages the page quotes, without the
// supervisor's "[restart] " prefix and with lines joined.
func troubleshootingEntries(t *testing.T) []string {
	var out []string
	for _, m := range entry.FindAllStringSubmatch(readFile(t, "docs/troubleshooting.md"), -1) {
		out = append(out, strings.TrimPrefix(normalize(m[1]), "[restart] "))
	}
	if len(out) < 10 {
		t.Fatalf("found %d entries on docs/troubleshooting.md, want the page's **`message`** entries", len(out))
	}
	return out
}

// pieces cuts a quoted message at its placeholders and joints, and returns
// the pieces of two words or more.
func pieces(msg string) []string {
	var out []string
	for _, p := range joint.Split(placeholder.ReplaceAllString(msg, "\x00"), -1) {
		for _, q := range strings.Split(p, "\x00") {
			q = strings.Trim(q, " ,.=:;")
			if len(strings.Fields(q)) >= 2 {
				out = append(out, q)
			}
		}
	}
	return out
}

func TestPieces(t *testing.T) {
	got := pieces(`invalid build arg: invalid RESTART_NAME value "VALUE": want WHAT`)
	if strings.Join(got, "|") != "invalid build arg" {
		t.Errorf("pieces = %q", got)
	}
	got = pieces(`no supervisor for platform OS/ARCH: supported platforms are [...]; build this platform with --build-arg RESTART_PROCESS=off`)
	if strings.Join(got, "|") != "no supervisor for platform|supported platforms are|build this platform with --build-arg" {
		t.Errorf("pieces = %q", got)
	}
}

func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

func containsAny(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

type message struct {
	pos string
	key string
}

// goFiles parses the non-test Go files of messageDirs.
func goFiles(t *testing.T) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	for _, dir := range messageDirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				return err
			}
			files = append(files, f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) == 0 {
		t.Fatal("no Go files in", messageDirs)
	}
	return fset, files
}

// codeLiterals returns every string literal of the code, unquoted.
func codeLiterals(t *testing.T) []string {
	_, files := goFiles(t)
	var out []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					out = append(out, s)
				}
			}
			return true
		})
	}
	return out
}

// codeMessages returns the errors the code makes and the error lines the
// supervisor logs.
func codeMessages(t *testing.T) []message {
	fset, files := goFiles(t)
	var out []message
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			var args []ast.Expr
			formatted := false
			pkg := ""
			if id, ok := sel.X.(*ast.Ident); ok {
				pkg = id.Name
			}
			switch {
			case pkg == "errors" && sel.Sel.Name == "New", pkg == "errors" && sel.Sel.Name == "Errorf", pkg == "fmt" && sel.Sel.Name == "Errorf":
				args, formatted = call.Args[:1], sel.Sel.Name == "Errorf"
			case pkg == "errors" && (sel.Sel.Name == "Wrap" || sel.Sel.Name == "Wrapf") && len(call.Args) >= 2:
				args, formatted = call.Args[1:2], sel.Sel.Name == "Wrapf"
			case sel.Sel.Name == "error" && pkg != "errors": // the supervisor's logger
				args = call.Args
			default:
				return true
			}
			key := ""
			for _, s := range stringParts(args) {
				if formatted {
					s = verb.ReplaceAllString(s, "\x00")
				}
				for _, p := range strings.Split(s, "\x00") {
					p = strings.Trim(normalize(p), " ,.=:;(\"")
					if len(p) > len(key) {
						key = p
					}
				}
			}
			// `restart` starts its lines with "restart: ", which the
			// page's entries under "restart --wait fails" leave out.
			key = strings.TrimPrefix(key, "restart: ")
			if key != "" {
				out = append(out, message{pos: fset.Position(call.Pos()).String(), key: key})
			}
			return true
		})
	}
	return out
}

// stringParts returns the string literals of exprs, and of the operands
// of the + that join them.
func stringParts(exprs []ast.Expr) []string {
	var out []string
	for _, e := range exprs {
		switch e := e.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(e.Value); err == nil && e.Kind == token.STRING {
				out = append(out, s)
			}
		case *ast.BinaryExpr:
			if e.Op == token.ADD {
				out = append(out, stringParts([]ast.Expr{e.X, e.Y})...)
			}
		}
	}
	return out
}
