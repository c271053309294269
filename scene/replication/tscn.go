package replication

import (
	"bufio"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/packetpeer/packetpeer/peer"
)

// SceneError is a scene file (.tscn) that could not be read, or a Go
// declaration that does not match it. Err is peer.ErrFileCorrupt for a
// malformed file, peer.ErrDoesNotExist for a node the file lacks and
// peer.ErrInvalidData for a mismatch.
type SceneError struct {
	File   string // the file's name, when known
	Line   int    // 1-based line of a syntax error; 0 otherwise
	Node   string // the node concerned, as a path inside the scene
	Reason string
	Err    error
}

func (e *SceneError) Error() string {
	s := "replication: "
	if e.File != "" {
		s += e.File + ":"
		if e.Line > 0 {
			s += strconv.Itoa(e.Line) + ":"
		}
		s += " "
	} else if e.Line > 0 {
		s += "line " + strconv.Itoa(e.Line) + ": "
	}
	if e.Node != "" {
		s += "node " + strconv.Quote(e.Node) + ": "
	}
	return s + e.Reason
}

// Unwrap returns the Godot error sentinel.
func (e *SceneError) Unwrap() error { return e.Err }

// Scene is the replication set-up of a Godot scene file: its
// MultiplayerSpawner and MultiplayerSynchronizer nodes, as ReadScene finds
// them. Node paths are relative to the scene's root node ("." is the root,
// "Sync", "Body/Sync").
type Scene struct {
	Root          string // the root node's name
	Spawners      []SceneSpawner
	Synchronizers []SceneSynchronizer
}

// SceneSpawner is a MultiplayerSpawner node of a scene file.
type SceneSpawner struct {
	Path       string   // the node's path in the scene
	SpawnPath  string   // spawn_path as written, relative to the spawner ("../Players")
	Scenes     []string // _spawnable_scenes, in order: the scene ids
	SpawnLimit int      // spawn_limit; 0 means none
}

// SceneSynchronizer is a MultiplayerSynchronizer node of a scene file with
// its SceneReplicationConfig. Properties have no Value.
type SceneSynchronizer struct {
	Path                string // the node's path in the scene
	RootPath            string // root_path; Godot's default ".."
	ReplicationInterval time.Duration
	DeltaInterval       time.Duration
	PublicVisibility    bool // public_visibility; Godot's default true
	Properties          []Property
}

// Synchronizer returns the synchronizer at path in the scene, or nil.
func (s *Scene) Synchronizer(path string) *SceneSynchronizer {
	for i := range s.Synchronizers {
		if s.Synchronizers[i].Path == path {
			return &s.Synchronizers[i]
		}
	}
	return nil
}

// Spawner returns the spawner at path in the scene, or nil.
func (s *Scene) Spawner(path string) *SceneSpawner {
	for i := range s.Spawners {
		if s.Spawners[i].Path == path {
			return &s.Spawners[i]
		}
	}
	return nil
}

// ReadScene reads the scene file name (Godot's text format, .tscn).
func ReadScene(name string) (*Scene, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := ParseScene(f)
	if e, ok := err.(*SceneError); ok {
		e.File = name
	}
	return s, err
}

// Bounds of ParseScene: it refuses longer lines and values, so a file
// costs memory in proportion to its size.
const (
	maxSceneLine  = 1 << 20
	maxSceneValue = 1 << 20
)

// ParseScene reads a scene in Godot's text format (.tscn, format 3) and
// returns its spawners and synchronizers. It understands the resource and
// node sections and the properties that replication uses: a
// SceneReplicationConfig's properties/N/path, /spawn, /replication_mode (and
// Godot 4.0's /sync and /watch), a synchronizer's replication_config,
// root_path, replication_interval, delta_interval and public_visibility, and
// a spawner's _spawnable_scenes, spawn_path and spawn_limit. Other sections
// and properties are skipped. A malformed file is an error matching
// peer.ErrFileCorrupt, naming the line.
func ParseScene(r io.Reader) (*Scene, error) {
	type node struct {
		path, typ string
		props     map[string]string
	}
	var (
		configs  = map[string]map[string]string{} // sub_resource id → properties
		nodes    []*node
		cur      map[string]string // properties of the current section, or nil
		rootSet  bool
		rootName string
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, maxSceneLine)
	line := 0
	fail := func(at int, reason string) (*Scene, error) {
		return nil, &SceneError{Line: at, Reason: reason, Err: peer.ErrFileCorrupt}
	}
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == ';' {
			continue
		}
		if text[0] == '[' {
			tag, attrs, err := parseHeader(text)
			if err != "" {
				return fail(line, err)
			}
			cur = nil
			switch tag {
			case "sub_resource":
				if attrs["type"] == "SceneReplicationConfig" {
					id := attrs["id"]
					cur = map[string]string{}
					configs[id] = cur
				}
			case "node":
				name, ok := attrs["name"]
				if !ok || name == "" {
					return fail(line, "node without name")
				}
				n := &node{typ: attrs["type"], props: map[string]string{}}
				parent, hasParent := attrs["parent"]
				switch {
				case !hasParent:
					if rootSet {
						return fail(line, "second root node "+strconv.Quote(name))
					}
					rootSet, n.path = true, "."
					rootName = name
				case parent == ".":
					n.path = name
				default:
					n.path = parent + "/" + name
				}
				nodes = append(nodes, n)
				cur = n.props
			}
			continue
		}
		eq := strings.IndexByte(text, '=')
		if eq < 0 {
			return fail(line, "expected key = value")
		}
		key := strings.TrimSpace(text[:eq])
		value := strings.TrimSpace(text[eq+1:])
		start := line
		// A value may continue on the next lines until its brackets close.
		for !balanced(value) {
			if !sc.Scan() {
				return fail(start, "value of "+key+" does not end")
			}
			line++
			value += "\n" + sc.Text()
			if len(value) > maxSceneValue {
				return fail(start, "value of "+key+" longer than 1 MiB")
			}
		}
		if cur != nil {
			cur[key] = value
		}
	}
	if err := sc.Err(); err != nil {
		return fail(line+1, err.Error())
	}

	s := &Scene{Root: rootName}
	for _, n := range nodes {
		switch n.typ {
		case "MultiplayerSpawner":
			sp := SceneSpawner{Path: n.path}
			var err string
			if v, ok := n.props["spawn_path"]; ok {
				if sp.SpawnPath, err = nodePathValue(v); err != "" {
					return nil, &SceneError{Node: n.path, Reason: "spawn_path: " + err, Err: peer.ErrFileCorrupt}
				}
			}
			if v, ok := n.props["_spawnable_scenes"]; ok {
				if sp.Scenes, err = stringArrayValue(v); err != "" {
					return nil, &SceneError{Node: n.path, Reason: "_spawnable_scenes: " + err, Err: peer.ErrFileCorrupt}
				}
			}
			if v, ok := n.props["spawn_limit"]; ok {
				l, e := strconv.Atoi(v)
				if e != nil || l < 0 {
					return nil, &SceneError{Node: n.path, Reason: "spawn_limit " + v, Err: peer.ErrFileCorrupt}
				}
				sp.SpawnLimit = l
			}
			s.Spawners = append(s.Spawners, sp)
		case "MultiplayerSynchronizer":
			sy, err := readSynchronizer(n.path, n.props, configs)
			if err != nil {
				return nil, err
			}
			s.Synchronizers = append(s.Synchronizers, sy)
		}
	}
	return s, nil
}

func readSynchronizer(path string, props map[string]string, configs map[string]map[string]string) (SceneSynchronizer, error) {
	sy := SceneSynchronizer{Path: path, RootPath: "..", PublicVisibility: true}
	bad := func(reason string) (SceneSynchronizer, error) {
		return SceneSynchronizer{}, &SceneError{Node: path, Reason: reason, Err: peer.ErrFileCorrupt}
	}
	var err string
	if v, ok := props["root_path"]; ok {
		if sy.RootPath, err = nodePathValue(v); err != "" {
			return bad("root_path: " + err)
		}
	}
	for key, d := range map[string]*time.Duration{"replication_interval": &sy.ReplicationInterval, "delta_interval": &sy.DeltaInterval} {
		if v, ok := props[key]; ok {
			f, e := strconv.ParseFloat(v, 64)
			if e != nil || f < 0 || f > math.MaxInt64/float64(time.Second) {
				return bad(key + " " + v)
			}
			*d = time.Duration(math.Round(f * float64(time.Second)))
		}
	}
	if v, ok := props["public_visibility"]; ok {
		b, e := strconv.ParseBool(v)
		if e != nil {
			return bad("public_visibility " + v)
		}
		sy.PublicVisibility = b
	}
	v, ok := props["replication_config"]
	if !ok {
		return sy, nil
	}
	id, e := callArg(v, "SubResource")
	if e != "" {
		return bad("replication_config: " + e)
	}
	cfg, ok := configs[id]
	if !ok {
		return bad("replication_config names SubResource " + strconv.Quote(id) + ", which is not a SceneReplicationConfig of the file")
	}
	for i := 0; ; i++ {
		pre := "properties/" + strconv.Itoa(i) + "/"
		pv, ok := cfg[pre+"path"]
		if !ok {
			break
		}
		p := Property{Spawn: true, Mode: ReplicationModeAlways}
		if p.Path, err = nodePathValue(pv); err != "" {
			return bad(pre + "path: " + err)
		}
		if v, ok := cfg[pre+"spawn"]; ok {
			if p.Spawn, e = boolValue(v); e != "" {
				return bad(pre + "spawn: " + e)
			}
		}
		// Godot 4.0 wrote sync/watch flags instead of a mode.
		if v, ok := cfg[pre+"sync"]; ok {
			b, e := boolValue(v)
			if e != "" {
				return bad(pre + "sync: " + e)
			}
			if !b {
				p.Mode = ReplicationModeNever
			}
		}
		if v, ok := cfg[pre+"watch"]; ok {
			b, e := boolValue(v)
			if e != "" {
				return bad(pre + "watch: " + e)
			}
			if b {
				p.Mode = ReplicationModeOnChange
			}
		}
		if v, ok := cfg[pre+"replication_mode"]; ok {
			m, e := strconv.Atoi(v)
			if e != nil || m < 0 || m > int(ReplicationModeOnChange) {
				return bad(pre + "replication_mode " + v)
			}
			p.Mode = ReplicationMode(m)
		}
		sy.Properties = append(sy.Properties, p)
	}
	return sy, nil
}

func boolValue(v string) (bool, string) {
	switch v {
	case "true":
		return true, ""
	case "false":
		return false, ""
	}
	return false, "not a bool: " + v
}

// parseHeader reads a section header: [tag key="value" key=Call("x") ...].
func parseHeader(text string) (string, map[string]string, string) {
	if !strings.HasSuffix(text, "]") {
		return "", nil, "section header without ]"
	}
	body := text[1 : len(text)-1]
	i := strings.IndexAny(body, " \t")
	if i < 0 {
		return body, nil, ""
	}
	tag, rest := body[:i], body[i:]
	attrs := map[string]string{}
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			return tag, attrs, ""
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 {
			return "", nil, "attribute without value in section header"
		}
		key := rest[:eq]
		rest = rest[eq+1:]
		if strings.HasPrefix(rest, "\"") {
			s, n, err := quoted(rest)
			if err != "" {
				return "", nil, err
			}
			attrs[key] = s
			rest = rest[n:]
			continue
		}
		// An unquoted value (ExtResource("1"), [array], a number) runs
		// until its brackets close and a blank follows.
		end := len(rest)
		for j := 1; j <= len(rest); j++ {
			if balanced(rest[:j]) && (j == len(rest) || rest[j] == ' ' || rest[j] == '\t') {
				end = j
				break
			}
		}
		attrs[key] = rest[:end]
		rest = rest[end:]
	}
}

// quoted reads a Godot string literal at the start of s and returns it and
// the bytes it took.
func quoted(s string) (string, int, string) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), i + 1, ""
		case '\\':
			i++
			if i == len(s) {
				break
			}
			switch e := s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, "string does not end"
}

// balanced reports whether v has no open string or bracket.
func balanced(v string) bool {
	depth := 0
	in := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case in && c == '\\':
			i++
		case c == '"':
			in = !in
		case in:
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		}
	}
	return !in && depth <= 0
}

// callArg returns the one string argument of name("x").
func callArg(v, name string) (string, string) {
	if !strings.HasPrefix(v, name+"(") || !strings.HasSuffix(v, ")") {
		return "", "want " + name + "(\"...\"), have " + v
	}
	inner := strings.TrimSpace(v[len(name)+1 : len(v)-1])
	s, n, err := quoted(inner)
	if err != "" || n != len(inner) || !strings.HasPrefix(inner, "\"") {
		return "", "want " + name + "(\"...\"), have " + v
	}
	return s, ""
}

func nodePathValue(v string) (string, string) { return callArg(v, "NodePath") }

// stringArrayValue reads PackedStringArray("a", "b") (or an Array of
// strings, or Array[String]([...])).
func stringArrayValue(v string) ([]string, string) {
	inner := v
	switch {
	case strings.HasPrefix(v, "PackedStringArray(") && strings.HasSuffix(v, ")"):
		inner = v[len("PackedStringArray(") : len(v)-1]
	case strings.HasPrefix(v, "Array[String]([") && strings.HasSuffix(v, "])"):
		inner = v[len("Array[String]([") : len(v)-2]
	case strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]"):
		inner = v[1 : len(v)-1]
	default:
		return nil, "want PackedStringArray(...), have " + v
	}
	out := []string{}
	for {
		inner = strings.TrimSpace(inner)
		if inner == "" {
			return out, ""
		}
		s, n, err := quoted(inner)
		if err != "" || !strings.HasPrefix(inner, "\"") {
			return nil, "want strings, have " + inner
		}
		out = append(out, s)
		inner = strings.TrimSpace(inner[n:])
		if inner != "" {
			if inner[0] != ',' {
				return nil, "want , between strings, have " + inner
			}
			inner = inner[1:]
		}
	}
}

// Check reports whether s declares what the scene's synchronizer sc
// configures: the same properties (path, spawn flag, mode) in the same order,
// and the same intervals. Visibility is not compared (the Go side sets it at
// run time). A difference is an error matching
// peer.ErrInvalidData that names the first one.
func (s *Synchronizer) Check(sc *SceneSynchronizer) error {
	bad := func(reason string) error {
		return &SceneError{Node: sc.Path, Reason: reason, Err: peer.ErrInvalidData}
	}
	n := max(len(s.Properties), len(sc.Properties))
	for i := range n {
		switch {
		case i >= len(s.Properties):
			return bad("property " + strconv.Itoa(i) + " " + strconv.Quote(sc.Properties[i].Path) + " is not declared in Go")
		case i >= len(sc.Properties):
			return bad("Go property " + strconv.Itoa(i) + " " + strconv.Quote(s.Properties[i].Path) + " is not in the scene")
		}
		g, w := s.Properties[i], sc.Properties[i]
		switch {
		case g.Path != w.Path:
			return bad("property " + strconv.Itoa(i) + " is " + strconv.Quote(w.Path) + " in the scene, " + strconv.Quote(g.Path) + " in Go")
		case g.Spawn != w.Spawn:
			return bad("property " + strconv.Quote(w.Path) + ": spawn is " + strconv.FormatBool(w.Spawn) + " in the scene")
		case g.Mode != w.Mode:
			return bad("property " + strconv.Quote(w.Path) + ": replication mode is " + w.Mode.String() + " in the scene, " + g.Mode.String() + " in Go")
		}
	}
	if s.ReplicationInterval != sc.ReplicationInterval {
		return bad("replication_interval is " + sc.ReplicationInterval.String() + " in the scene, " + s.ReplicationInterval.String() + " in Go")
	}
	if s.DeltaInterval != sc.DeltaInterval {
		return bad("delta_interval is " + sc.DeltaInterval.String() + " in the scene, " + s.DeltaInterval.String() + " in Go")
	}
	return nil
}

// Check reports whether sp lists the spawnable scenes of the scene's
// spawner sc in the same order (their index is the scene id on the wire)
// and has its spawn limit.
func (sp *Spawner) Check(sc *SceneSpawner) error {
	if !slices.Equal(sp.Scenes, sc.Scenes) {
		return &SceneError{Node: sc.Path, Reason: "spawnable scenes are " + strings.Join(sc.Scenes, ", ") + " in the scene, " + strings.Join(sp.Scenes, ", ") + " in Go", Err: peer.ErrInvalidData}
	}
	if sp.SpawnLimit != sc.SpawnLimit {
		return &SceneError{Node: sc.Path, Reason: "spawn_limit is " + strconv.Itoa(sc.SpawnLimit) + " in the scene, " + strconv.Itoa(sp.SpawnLimit) + " in Go", Err: peer.ErrInvalidData}
	}
	return nil
}

// CheckScene checks the synchronizers of an object against the scene file
// of its spawnable scene: each Go synchronizer must be a
// MultiplayerSynchronizer of the scene at its Path, with the same
// configuration (Synchronizer.Check) and a root_path that names the scene's
// root (".." for a child of the root), and they must come in the scene's
// tree order, which decides the order of their ids in SPAWN.
func CheckScene(sc *Scene, syncs ...*Synchronizer) error {
	last := -1
	for _, s := range syncs {
		i := slices.IndexFunc(sc.Synchronizers, func(x SceneSynchronizer) bool { return x.Path == s.Path })
		if i < 0 {
			return &SceneError{Node: s.Path, Reason: "no MultiplayerSynchronizer at this path in the scene", Err: peer.ErrDoesNotExist}
		}
		if i < last {
			return &SceneError{Node: s.Path, Reason: "comes before " + strconv.Quote(sc.Synchronizers[last].Path) + " in the scene", Err: peer.ErrInvalidData}
		}
		last = i
		if want := strings.Repeat("../", strings.Count(s.Path, "/")+1); sc.Synchronizers[i].RootPath != want[:len(want)-1] {
			return &SceneError{Node: s.Path, Reason: "root_path " + strconv.Quote(sc.Synchronizers[i].RootPath) + " is not the scene's root", Err: peer.ErrInvalidData}
		}
		if err := s.Check(&sc.Synchronizers[i]); err != nil {
			return err
		}
	}
	return nil
}
