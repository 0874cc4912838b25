package rigtest

import (
	"archive/tar"
	"bytes"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// SyncArchive is the archive Tilt's sync step streams into `tar -C / -x -f
// -` (tilt-dev/tilt internal/build/tar.go) for the files rels under the
// local folder localDir, which a sync(localDir, containerDir) maps to
// containerDir: each entry named by its path in the container without the
// leading slash, with the local file's mode and time, uid and gid zeroed.
func SyncArchive(localDir, containerDir string, rels ...string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, rel := range rels {
		local := filepath.Join(localDir, rel)
		info, err := os.Stat(local)
		if err != nil {
			return nil, err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return nil, err
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		hdr.Name = path.Clean(strings.TrimPrefix(path.Join(containerDir, filepath.ToSlash(rel)), "/"))
		data, err := os.ReadFile(local)
		if err != nil {
			return nil, err
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
