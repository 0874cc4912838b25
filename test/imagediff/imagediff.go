// Package imagediff says why two images that should be the same are not:
// which files of their layers differ, and for an executable, which part of it
// (a Go build ID, a GNU build ID, code, or only its size). The release test
// uses it when a rebuild gives another image, so a failure names the binary
// and the reason instead of two layer digests.
package imagediff

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// File is a regular file, link or folder of a layer, as far as a comparison
// needs it.
type File struct {
	Header tar.Header
	Data   []byte
}

// ReadLayer reads an uncompressed layer's files by name.
func ReadLayer(r io.Reader) (map[string]File, error) {
	files := map[string]File{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", hdr.Name, err)
		}
		files[strings.TrimPrefix(hdr.Name, "./")] = File{Header: *hdr, Data: data}
	}
}

// Files compares two layers' files and returns one line per difference,
// sorted by file name: a file only in one, or what differs between the two.
func Files(a, b map[string]File) []string {
	var d []string
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range a {
			if !yield(n) {
				return
			}
		}
		for n := range b {
			if _, ok := a[n]; !ok && !yield(n) {
				return
			}
		}
	}) {
		x, inA := a[name]
		y, inB := b[name]
		switch {
		case !inB:
			d = append(d, name+": only in the first")
		case !inA:
			d = append(d, name+": only in the second")
		default:
			if why := file(x, y); why != "" {
				d = append(d, name+": "+why)
			}
		}
	}
	return d
}

// file says how two versions of one file differ, or "" when they do not.
func file(x, y File) string {
	hx, hy := x.Header, y.Header
	var d []string
	if hx.Typeflag != hy.Typeflag {
		d = append(d, fmt.Sprintf("type %q, then %q", hx.Typeflag, hy.Typeflag))
	}
	if hx.Mode != hy.Mode {
		d = append(d, fmt.Sprintf("mode %o, then %o", hx.Mode, hy.Mode))
	}
	if hx.Uid != hy.Uid || hx.Gid != hy.Gid {
		d = append(d, fmt.Sprintf("owner %d:%d, then %d:%d", hx.Uid, hx.Gid, hy.Uid, hy.Gid))
	}
	if !hx.ModTime.Equal(hy.ModTime) {
		d = append(d, fmt.Sprintf("time %s, then %s", hx.ModTime.UTC().Format("2006-01-02T15:04:05Z"), hy.ModTime.UTC().Format("2006-01-02T15:04:05Z")))
	}
	if hx.Linkname != hy.Linkname {
		d = append(d, fmt.Sprintf("link %q, then %q", hx.Linkname, hy.Linkname))
	}
	if !bytes.Equal(x.Data, y.Data) {
		d = append(d, Binaries(x.Data, y.Data))
	}
	return strings.Join(d, "; ")
}

// Binaries says how two different contents of one file differ. For ELF
// executables it names the part: the Go build ID (Go's cache key, which
// changes with the inputs of the build's action hash, not with the code), the
// GNU build ID, or the sections whose bytes differ.
func Binaries(a, b []byte) string {
	ea, errA := elf.NewFile(bytes.NewReader(a))
	eb, errB := elf.NewFile(bytes.NewReader(b))
	if errA != nil || errB != nil {
		return fmt.Sprintf("contents differ (%d bytes, then %d; first difference at byte %d)", len(a), len(b), firstDiff(a, b))
	}
	var d []string
	if x, y := goBuildID(ea), goBuildID(eb); x != y {
		d = append(d, fmt.Sprintf("Go build ID %q, then %q", x, y))
	}
	if x, y := gnuBuildID(ea), gnuBuildID(eb); x != y {
		d = append(d, fmt.Sprintf("GNU build ID %s, then %s", x, y))
	}
	var sections []string
	for _, s := range ea.Sections {
		t := eb.Section(s.Name)
		if t == nil {
			sections = append(sections, s.Name+" (only in the first)")
			continue
		}
		if s.Name == ".note.go.buildid" || s.Name == ".note.gnu.build-id" || s.Type == elf.SHT_NOBITS {
			continue
		}
		x, errX := s.Data()
		y, errY := t.Data()
		if errX != nil || errY != nil || !bytes.Equal(x, y) {
			sections = append(sections, s.Name)
		}
	}
	for _, t := range eb.Sections {
		if ea.Section(t.Name) == nil {
			sections = append(sections, t.Name+" (only in the second)")
		}
	}
	if len(sections) > 0 {
		d = append(d, "sections "+strings.Join(sections, ", ")+" differ")
	}
	if len(d) == 0 {
		d = append(d, fmt.Sprintf("ELF headers differ (%d bytes, then %d; first difference at byte %d)", len(a), len(b), firstDiff(a, b)))
	}
	return "executable: " + strings.Join(d, "; ")
}

// goBuildID reads the Go build ID note that the go command writes when the
// binary is linked with a build ID ("" without one: -ldflags=-buildid=).
func goBuildID(f *elf.File) string {
	desc := note(f, ".note.go.buildid", "Go", 4)
	return string(bytes.TrimRight(desc, "\x00"))
}

// gnuBuildID reads the GNU build ID note, hex-encoded ("" without one).
func gnuBuildID(f *elf.File) string {
	return hex.EncodeToString(note(f, ".note.gnu.build-id", "GNU", 3))
}

// note returns the descriptor of the ELF note in section name with the
// owner and type given, or nil.
func note(f *elf.File, section, owner string, typ uint32) []byte {
	s := f.Section(section)
	if s == nil {
		return nil
	}
	data, err := s.Data()
	if err != nil {
		return nil
	}
	for len(data) >= 12 {
		namesz, descsz, t := f.ByteOrder.Uint32(data), f.ByteOrder.Uint32(data[4:]), f.ByteOrder.Uint32(data[8:])
		nameEnd := 12 + align4(namesz)
		descEnd := nameEnd + align4(descsz)
		if uint64(len(data)) < descEnd {
			return nil
		}
		name := string(bytes.TrimRight(data[12:12+namesz], "\x00"))
		if name == owner && t == typ {
			return data[nameEnd : nameEnd+uint64(descsz)]
		}
		data = data[descEnd:]
	}
	return nil
}

func align4(n uint32) uint64 { return (uint64(n) + 3) &^ 3 }

// firstDiff returns the offset of the first byte where a and b differ.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// Images compares two images layer by layer and their configs, and returns
// one line per difference ("" lines never): what a release test prints when a
// rebuild gives another image.
func Images(a, b v1.Image) ([]string, error) {
	var d []string
	ca, err := a.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("the first image's config: %w", err)
	}
	cb, err := b.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("the second image's config: %w", err)
	}
	if !bytes.Equal(ca, cb) {
		d = append(d, "config: "+Config(ca, cb))
	}
	la, err := a.Layers()
	if err != nil {
		return nil, err
	}
	lb, err := b.Layers()
	if err != nil {
		return nil, err
	}
	if len(la) != len(lb) {
		d = append(d, fmt.Sprintf("%d layers, then %d", len(la), len(lb)))
	}
	for i := range min(len(la), len(lb)) {
		da, err := la[i].Digest()
		if err != nil {
			return nil, err
		}
		db, err := lb[i].Digest()
		if err != nil {
			return nil, err
		}
		if da == db {
			continue
		}
		fa, err := layerFiles(la[i])
		if err != nil {
			return nil, fmt.Errorf("the first image's layer %d: %w", i, err)
		}
		fb, err := layerFiles(lb[i])
		if err != nil {
			return nil, fmt.Errorf("the second image's layer %d: %w", i, err)
		}
		files := Files(fa, fb)
		if len(files) == 0 {
			files = []string{"same files, other archive bytes (order or headers)"}
		}
		for _, f := range files {
			d = append(d, fmt.Sprintf("layer %d (%s, then %s): %s", i, shortDigest(da), shortDigest(db), f))
		}
	}
	return d, nil
}

func layerFiles(l v1.Layer) (map[string]File, error) {
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return ReadLayer(rc)
}

// Config names the top-level fields of two image configs (JSON) that differ.
func Config(a, b []byte) string {
	fa, errA := topLevel(a)
	fb, errB := topLevel(b)
	if errA != nil || errB != nil {
		return "not JSON"
	}
	var names []string
	for k, v := range fa {
		if !bytes.Equal(v, fb[k]) {
			names = append(names, k)
		}
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "same fields, other bytes"
	}
	return strings.Join(names, ", ") + " differ"
}

func shortDigest(h v1.Hash) string {
	s := h.String()
	if len(s) > 19 {
		return s[:19]
	}
	return s
}

// topLevel splits a JSON object into its fields, each compacted.
func topLevel(data []byte) (map[string][]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err != nil {
			return nil, err
		}
		out[k] = buf.Bytes()
	}
	return out, nil
}
