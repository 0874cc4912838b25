package watch

import "testing"

func TestQuoteName(t *testing.T) {
	for name, want := range map[string]string{
		"/app/main.py":             "/app/main.py",
		"/app/café.py":             "/app/café.py",
		"/app/x\n[restart] forged": `"/app/x\n[restart] forged"`,
		"/app/\x1b[2Jclear":        `"/app/\x1b[2Jclear"`,
		`/app/"quoted"`:            `"/app/\"quoted\""`,
		"/app/\xff":                `"/app/\xff"`,
	} {
		if got := quoteName(name); got != want {
			t.Errorf("quoteName(%q) = %s, want %s", name, got, want)
		}
	}
}
