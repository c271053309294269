package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/packetpeer/packetpeer/scene"
)

// script is what gdrpc needs from one GDScript file.
type script struct {
	file      string         // as given on the command line
	className string         // class_name, if any
	extends   string         // extends target: a quoted path or a class name
	quoted    bool           // extends is a path
	rpcs      []scene.Method // top-level @rpc functions, in declaration order
}

type tokKind int

const (
	tEOF tokKind = iota
	tNewline
	tIdent
	tAnnotation
	tString
	tInt
	tPunct
	tOther
)

type token struct {
	kind   tokKind
	text   string // identifier, annotation name without @, string value, punctuation
	line   int
	indent int // for tNewline: indentation of the next logical line; for others: column of the token's line start
}

// lexer splits GDScript into the tokens gdrpc needs: identifiers, annotations,
// string and int literals, punctuation and logical line breaks (none inside
// brackets or after a backslash), skipping comments.
type lexer struct {
	src   string
	i     int
	line  int
	depth int
	toks  []token
}

func lex(src string) ([]token, error) {
	l := &lexer{src: src, line: 1}
	l.toks = append(l.toks, token{kind: tNewline, line: 1, indent: l.indentAt(0)})
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case c == '\n':
			l.i++
			l.line++
			if l.depth == 0 {
				l.toks = append(l.toks, token{kind: tNewline, line: l.line, indent: l.indentAt(l.i)})
			}
		case c == ' ' || c == '\t' || c == '\r':
			l.i++
		case c == '\\' && l.i+1 < len(l.src) && (l.src[l.i+1] == '\n' || l.src[l.i+1] == '\r'):
			l.i++
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.i++
			}
			l.i++
			l.line++
		case c == '#':
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.i++
			}
		case c == '"' || c == '\'':
			if err := l.str(false); err != nil {
				return nil, err
			}
		case (c == 'r' || c == '&' || c == '^') && l.i+1 < len(l.src) && (l.src[l.i+1] == '"' || l.src[l.i+1] == '\''):
			l.i++
			if err := l.str(c == 'r'); err != nil {
				return nil, err
			}
			if c != 'r' {
				l.toks[len(l.toks)-1].kind = tOther // StringName / NodePath literal
			}
		case c == '@':
			start := l.i + 1
			l.i++
			for l.i < len(l.src) && isIdent(l.src[l.i]) {
				l.i++
			}
			l.toks = append(l.toks, token{kind: tAnnotation, text: l.src[start:l.i], line: l.line})
		case isIdent(c) && !(c >= '0' && c <= '9'):
			start := l.i
			for l.i < len(l.src) && isIdent(l.src[l.i]) {
				l.i++
			}
			l.toks = append(l.toks, token{kind: tIdent, text: l.src[start:l.i], line: l.line})
		case c >= '0' && c <= '9':
			start := l.i
			for l.i < len(l.src) && (isIdent(l.src[l.i]) || l.src[l.i] == '.') {
				l.i++
			}
			l.toks = append(l.toks, token{kind: tInt, text: l.src[start:l.i], line: l.line})
		default:
			switch c {
			case '(', '[', '{':
				l.depth++
			case ')', ']', '}':
				if l.depth > 0 {
					l.depth--
				}
			}
			l.i++
			l.toks = append(l.toks, token{kind: tPunct, text: string(c), line: l.line})
		}
	}
	l.toks = append(l.toks, token{kind: tNewline, line: l.line}, token{kind: tEOF, line: l.line})
	return l.toks, nil
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// indentAt returns the indentation (tabs and spaces count 1) of the line
// starting at i.
func (l *lexer) indentAt(i int) int {
	n := 0
	for i+n < len(l.src) && (l.src[i+n] == ' ' || l.src[i+n] == '\t') {
		n++
	}
	return n
}

// str scans a string literal ("...", '...', """...""", ”'...”').
func (l *lexer) str(raw bool) error {
	q := l.src[l.i]
	line := l.line
	triple := strings.HasPrefix(l.src[l.i:], strings.Repeat(string(q), 3))
	if triple {
		l.i += 3
	} else {
		l.i++
	}
	var b strings.Builder
	for {
		if l.i >= len(l.src) {
			return fmt.Errorf("line %d: unterminated string", line)
		}
		c := l.src[l.i]
		switch {
		case triple && strings.HasPrefix(l.src[l.i:], strings.Repeat(string(q), 3)):
			l.i += 3
			l.toks = append(l.toks, token{kind: tString, text: b.String(), line: line})
			return nil
		case !triple && c == q:
			l.i++
			l.toks = append(l.toks, token{kind: tString, text: b.String(), line: line})
			return nil
		case !triple && c == '\n':
			return fmt.Errorf("line %d: unterminated string", line)
		case c == '\\' && l.i+1 < len(l.src):
			if raw {
				b.WriteByte(c)
				b.WriteByte(l.src[l.i+1])
			} else {
				b.WriteByte(l.src[l.i+1]) // escapes do not occur in @rpc arguments
			}
			if l.src[l.i+1] == '\n' {
				l.line++
			}
			l.i += 2
		default:
			if c == '\n' {
				l.line++
			}
			b.WriteByte(c)
			l.i++
		}
	}
}

// parseScript finds class_name, extends and the top-level @rpc functions of
// one GDScript source.
func parseScript(file, src string) (*script, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	s := &script{file: file}
	p := &parser{toks: toks, file: file}
	indent := 0
	for p.peek().kind != tEOF {
		t := p.next()
		if t.kind == tNewline {
			indent = t.indent
			continue
		}
		if indent != 0 {
			continue // inside a function or an inner class
		}
		switch {
		case t.kind == tIdent && t.text == "class_name" && p.peek().kind == tIdent:
			s.className = p.next().text
		case t.kind == tIdent && t.text == "extends":
			switch n := p.next(); n.kind {
			case tString:
				s.extends, s.quoted = n.text, true
			case tIdent:
				s.extends = n.text
			}
		case t.kind == tAnnotation && t.text == "rpc":
			m, err := p.rpc(t)
			if err != nil {
				return nil, err
			}
			s.rpcs = append(s.rpcs, m)
		}
	}
	return s, nil
}

type parser struct {
	toks []token
	pos  int
	file string
}

func (p *parser) peek() token { return p.toks[p.pos] }

func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.file, line, fmt.Sprintf(format, args...))
}

// rpc parses the arguments of the @rpc at and the function it annotates, with
// the rules of Godot's GDScript parser: at most 4 arguments; an int only as
// the 4th (the channel); strings from three groups, each at most once:
// "any_peer"/"authority", "call_local"/"call_remote",
// "reliable"/"unreliable"/"unreliable_ordered". Only what is written goes into
// the config; the rest is Godot's default (authority, remote, reliable, 0).
func (p *parser) rpc(at token) (scene.Method, error) {
	cfg := scene.DefaultRPC
	if p.peek().kind == tPunct && p.peek().text == "(" {
		p.next()
		var args []token
		for {
			t := p.next()
			switch {
			case t.kind == tPunct && t.text == ")":
			case t.kind == tString || t.kind == tInt:
				args = append(args, t)
				if n := p.next(); n.kind == tPunct && n.text == ")" {
					t = n
				} else if n.kind != tPunct || n.text != "," {
					return scene.Method{}, p.errorf(n.line, "@rpc argument %q is not a literal string or int", t.text+n.text)
				}
			case t.kind == tEOF:
				return scene.Method{}, p.errorf(at.line, "unterminated @rpc(")
			default:
				return scene.Method{}, p.errorf(t.line, "@rpc argument %q is not a literal string or int", t.text)
			}
			if t.kind == tPunct && t.text == ")" {
				break
			}
		}
		if err := p.rpcArgs(at, args, &cfg); err != nil {
			return scene.Method{}, err
		}
	}
	// The annotated declaration: after line breaks, comments and other
	// annotations (with their arguments), "func name" or "static func name".
	for {
		t := p.next()
		switch {
		case t.kind == tNewline:
			if t.indent != 0 && p.peek().kind != tNewline && p.peek().kind != tEOF {
				return scene.Method{}, p.errorf(at.line, "@rpc is not followed by a top-level func")
			}
		case t.kind == tAnnotation:
			if p.peek().kind == tPunct && p.peek().text == "(" {
				for d := 0; ; {
					u := p.next()
					if u.kind == tPunct && u.text == "(" {
						d++
					} else if u.kind == tPunct && u.text == ")" {
						if d--; d == 0 {
							break
						}
					} else if u.kind == tEOF {
						return scene.Method{}, p.errorf(t.line, "unterminated @%s(", t.text)
					}
				}
			}
		case t.kind == tIdent && t.text == "static":
		case t.kind == tIdent && t.text == "func":
			n := p.next()
			if n.kind != tIdent {
				return scene.Method{}, p.errorf(n.line, "func without a name")
			}
			return scene.Method{Name: n.text, RPCConfig: cfg}, nil
		default:
			return scene.Method{}, p.errorf(at.line, "@rpc is not followed by a func (found %q on line %d)", t.text, t.line)
		}
	}
}

func (p *parser) rpcArgs(at token, args []token, cfg *scene.RPCConfig) error {
	if len(args) > 4 {
		return p.errorf(at.line, "@rpc takes at most 4 arguments, found %d", len(args))
	}
	var seen [3]bool
	set := func(group int, t token) error {
		if seen[group] {
			return p.errorf(t.line, "@rpc argument %q repeats a setting given earlier", t.text)
		}
		seen[group] = true
		return nil
	}
	for i, t := range args {
		// Godot 4.6 types the annotation's parameters (String, String,
		// String, int): the channel is the fourth argument or absent.
		if t.kind == tInt && i != 3 {
			return p.errorf(t.line, "@rpc argument %d should be a String but is the int %s (the channel is the 4th argument)", i+1, t.text)
		}
		if t.kind != tInt && i == 3 {
			return p.errorf(t.line, "@rpc argument 4 (the channel) should be an int but is %q", t.text)
		}
		if t.kind == tInt {
			ch, err := strconv.ParseInt(strings.ReplaceAll(t.text, "_", ""), 0, 32)
			if err != nil || ch < 0 {
				return p.errorf(t.line, "@rpc channel %q is not an int", t.text)
			}
			cfg.Channel = int(ch)
			continue
		}
		var err error
		switch t.text {
		case "any_peer":
			err, cfg.Mode = set(0, t), scene.RPCModeAnyPeer
		case "authority":
			err, cfg.Mode = set(0, t), scene.RPCModeAuthority
		case "call_local":
			err, cfg.CallLocal = set(1, t), true
		case "call_remote":
			err, cfg.CallLocal = set(1, t), false
		case "reliable":
			err, cfg.TransferMode = set(2, t), scene.TransferModeReliable
		case "unreliable":
			err, cfg.TransferMode = set(2, t), scene.TransferModeUnreliable
		case "unreliable_ordered":
			err, cfg.TransferMode = set(2, t), scene.TransferModeUnreliableOrdered
		default:
			return p.errorf(t.line, "unknown @rpc argument %q (want any_peer, authority, call_local, call_remote, reliable, unreliable, unreliable_ordered or a channel int)", t.text)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
