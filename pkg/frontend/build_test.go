package frontend

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

func TestHistory(t *testing.T) {
	created := time.Unix(1700000000, 0).UTC()
	for _, tc := range []struct {
		name   string
		layers []string
		want   []string
	}{
		{"no layer, no entry", nil, nil},
		{"one entry per layer, in order", []string{"add supervisor, trigger /.restart-proc", "add /usr/local/bin/tar"},
			[]string{"[restart] add supervisor, trigger /.restart-proc", "[restart] add /usr/local/bin/tar"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := history(tc.layers, created)
			var got []string
			for _, e := range h {
				got = append(got, e.CreatedBy)
				if e.Created == nil || !e.Created.Equal(created) || e.Comment != contract.HistoryComment || e.EmptyLayer {
					t.Errorf("entry %+v: want created %s, comment %q, a layer", e, created, contract.HistoryComment)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("history(%q) creates %q, want %q", tc.layers, got, tc.want)
			}
		})
	}
}

func TestLayerTime(t *testing.T) {
	for _, tc := range []struct {
		name      string
		epoch     string
		want      time.Time
		wantError string
	}{
		{"no SOURCE_DATE_EPOCH: the Unix epoch", "", time.Unix(0, 0).UTC(), ""},
		{"SOURCE_DATE_EPOCH in seconds", "1700000000", time.Unix(1700000000, 0).UTC(), ""},
		{"not a number", "yesterday", time.Time{}, `invalid source.date.epoch "yesterday"`},
		{"a fraction", "1.5", time.Time{}, `invalid source.date.epoch "1.5"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := layerTime([]byte(tc.epoch))
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("layerTime(%q) = %v, %v; want an error with %q", tc.epoch, got, err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("layerTime(%q) = %v, want %v in UTC", tc.epoch, got, tc.want)
			}
		})
	}
}
