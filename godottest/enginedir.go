package godottest

import "context"

// EngineDir returns the folder that holds the Godot 4.6 web engine Run uses
// (index.js and index.wasm), downloading it into the cache and checking it
// on first use as Run does. Only opts' CacheDir and Registry matter; opts
// may be nil. Servers of web games use it to serve the engine with their
// own packed project.
func EngineDir(ctx context.Context, opts *Options) (string, error) {
	o := opts.withDefaults()
	return engineDir(ctx, &o)
}
