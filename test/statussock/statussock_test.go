package statussock

import "testing"

func TestName(t *testing.T) {
	const table = `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 41213 /run/other.sock
0000000000000000: 00000002 00000000 00010000 0001 01 41214 @restart-frontend/fd01/2a/9c3e
0000000000000000: 00000003 00000000 00000000 0001 03 41215
`
	if got, ok := Name(table); !ok || got != "@restart-frontend/fd01/2a/9c3e" {
		t.Errorf("Name = %q, %v; want the supervisor's socket", got, ok)
	}
	if got, ok := Name("Num RefCount Protocol Flags Type St Inode Path\n"); ok {
		t.Errorf("Name of a table without it = %q, true", got)
	}
}
