// Package snirepair lets a pion/dtls server accept the ClientHello Godot's
// mbedTLS sends for an empty hostname (TLSOptions.client_unsafe() with
// connect_to_peer(udp, "")): a server_name extension holding an empty host
// name, which pion refuses to parse. Package dtls's Listener and package
// enet's DTLS layer both put a Repair between their socket and pion.
package snirepair

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"sync"

	"github.com/pion/dtls/v3/pkg/crypto/ciphersuite"
	"github.com/pion/dtls/v3/pkg/crypto/prf"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
	"github.com/pion/dtls/v3/pkg/protocol/recordlayer"

	"github.com/packetpeer/packetpeer/peer"
)

// Godot's connect_to_peer passes its hostname to mbedTLS, which then sends
// a server_name extension holding an empty host name when the hostname is
// "" (mbedTLS 2.28 and 3.x alike). pion refuses to parse such a
// ClientHello, so the servers repair these handshakes on their way through
// their socket (see Repair).
//
// Repairing the ClientHello changes the handshake transcript that both
// Finished messages authenticate, and, with the extended master secret
// (RFC 7627), the master secret itself. So the repair takes the empty
// server_name and the extended_master_secret extensions out of the
// ClientHellos pion sees (pion then does not negotiate the extended master
// secret, and the master secret is the same on both sides), learns the
// master secret from pion's key log, and translates the two Finished
// messages between the client's transcript and pion's: the client's
// Finished is checked against the client's transcript (so the handshake is
// still authenticated end to end) and re-made for pion's; pion's Finished
// is re-made for the client's. Everything after the handshake passes
// untouched.

const (
	recHdr             = 13
	hsHdr              = 12
	contentHandshake   = 22
	extServerName      = 0
	extExtendedMS      = 23
	maxRepairedMessage = 1 << 16
	maxHeld            = 4 // client records held for the master secret (one Finished, and retransmissions)
)

// Repair is the state of one repaired handshake, for a client whose first
// ClientHello EmptySNIHello reported. Inbound and Outbound see every
// datagram from and to that client; Write receives pion's key log (pass
// the Repair to pion's WithKeyLogWriter). Records held for the master
// secret go to Deliver once Write has it.
type Repair struct {
	mu      sync.Mutex
	Deliver func([]byte) // hands a datagram to the DTLS server; set before Inbound

	origHello, pionHello []byte // the ClientHello with cookie, as sent and as pion saw it
	clientRandom         []byte
	serverRandom         []byte
	suite                uint16
	server               map[handshake.Type]*hsMessage // ServerHello .. ServerHelloDone
	clientKeyExchange    *hsMessage

	masterSecret []byte
	hash         prf.HashFunc
	cli, srv     *ciphersuite.GCM // keys of each direction, to open and re-seal its records
	finOrig, fin []byte           // the client's Finished, as sent and as given to pion
	held         [][]byte         // client records waiting for the master secret
	broken       bool
}

var errRepair = &peer.OpError{Op: "handshake", Code: peer.ErrInvalidData, Detail: "cannot repair a ClientHello with an empty server name"}

// hsMessage is a handshake message reassembled from its fragments.
type hsMessage struct {
	typ     handshake.Type
	seq     uint16
	body    []byte
	covered int // bytes of body received from its start
}

func (m *hsMessage) complete() bool { return m != nil && m.covered == len(m.body) }

// whole returns m as the transcript holds it: unfragmented.
func (m *hsMessage) whole() []byte {
	return append(hsHeader(m.typ, len(m.body), m.seq), m.body...)
}

func hsHeader(typ handshake.Type, length int, seq uint16) []byte {
	h := make([]byte, hsHdr, hsHdr+length)
	h[0] = byte(typ)
	put24(h[1:], length)
	binary.BigEndian.PutUint16(h[4:], seq)
	put24(h[9:], length)
	return h
}

func put24(b []byte, v int) { b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v) }
func get24(b []byte) int    { return int(b[0])<<16 | int(b[1])<<8 | int(b[2]) }

// EmptySNIHello reports whether datagram b starts with a record holding a
// whole ClientHello whose server_name extension has an empty host name.
func EmptySNIHello(b []byte) bool {
	rec, _, ok := nextRecord(b)
	if !ok || rec[0] != contentHandshake || binary.BigEndian.Uint16(rec[3:]) != 0 {
		return false
	}
	frag := rec[recHdr:]
	if len(frag) < hsHdr || handshake.Type(frag[0]) != handshake.TypeClientHello {
		return false
	}
	n := get24(frag[1:])
	if get24(frag[6:]) != 0 || get24(frag[9:]) != n || hsHdr+n > len(frag) {
		return false
	}
	_, changed := repairHello(frag[hsHdr : hsHdr+n])
	return changed
}

// hasHandshake reports whether datagram b holds a handshake record: the
// others (application data, once connected) pass the repair untouched.
func hasHandshake(b []byte) bool {
	for len(b) > 0 {
		rec, rest, ok := nextRecord(b)
		if !ok {
			return false
		}
		if rec[0] == contentHandshake {
			return true
		}
		b = rest
	}
	return false
}

// nextRecord splits the first DTLS record off b.
func nextRecord(b []byte) (rec, rest []byte, ok bool) {
	if len(b) < recHdr {
		return nil, nil, false
	}
	n := recHdr + int(binary.BigEndian.Uint16(b[11:]))
	if n > len(b) {
		return nil, nil, false
	}
	return b[:n], b[n:], true
}

// repairHello returns ClientHello body without its server_name extension
// and its extended_master_secret extension, when its server_name holds an
// empty host name; changed is false (and out nil) otherwise, or when the
// body does not parse.
func repairHello(body []byte) (out []byte, changed bool) {
	off := 2 + 32
	skip := func(lenBytes int) bool {
		if off+lenBytes > len(body) {
			return false
		}
		n := 0
		for _, c := range body[off : off+lenBytes] {
			n = n<<8 | int(c)
		}
		off += lenBytes + n
		return off <= len(body)
	}
	// session_id, cookie, cipher_suites, compression_methods
	for _, lenBytes := range [...]int{1, 1, 2, 1} {
		if !skip(lenBytes) {
			return nil, false
		}
	}
	if off+2 > len(body) {
		return nil, false
	}
	extStart := off
	exts := body[off+2:]
	if int(binary.BigEndian.Uint16(body[off:])) != len(exts) {
		return nil, false
	}
	kept := make([]byte, 0, len(exts))
	for len(exts) > 0 {
		if len(exts) < 4 {
			return nil, false
		}
		typ, n := binary.BigEndian.Uint16(exts), int(binary.BigEndian.Uint16(exts[2:]))
		if 4+n > len(exts) {
			return nil, false
		}
		ext := exts[:4+n]
		exts = exts[4+n:]
		switch typ {
		case extServerName:
			if emptyHostName(ext[4:]) {
				changed = true
				continue
			}
		case extExtendedMS:
			continue
		}
		kept = append(kept, ext...)
	}
	if !changed {
		return nil, false
	}
	out = append(out, body[:extStart]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(kept)))
	return append(out, kept...), true
}

// emptyHostName reports whether a server_name extension's data lists no
// name or a host name of length 0.
func emptyHostName(data []byte) bool {
	if len(data) < 2 {
		return true
	}
	list := data[2:]
	if len(list) == 0 {
		return true
	}
	for len(list) >= 3 {
		n := int(binary.BigEndian.Uint16(list[1:]))
		if n == 0 {
			return true
		}
		if 3+n > len(list) {
			return false
		}
		list = list[3+n:]
	}
	return false
}

// Inbound rewrites a datagram from the client for pion: it repairs
// ClientHellos, remembers the client's handshake messages, and translates
// its Finished (held until pion's key log gives the master secret). nil
// means nothing is left to deliver now.
func (r *Repair) Inbound(b []byte) []byte {
	if !hasHandshake(b) {
		return b
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken {
		return b
	}
	var out []byte
	for len(b) > 0 {
		rec, rest, ok := nextRecord(b)
		if !ok {
			return append(out, b...)
		}
		b = rest
		epoch := binary.BigEndian.Uint16(rec[3:])
		switch {
		case rec[0] == contentHandshake && epoch == 0:
			rec = r.clientHandshake(rec)
		case rec[0] == contentHandshake && epoch == 1:
			if r.cli == nil {
				if len(r.held) < maxHeld {
					r.held = append(r.held, bytes.Clone(rec))
				}
				continue
			}
			rec = r.clientFinished(rec)
		}
		if rec != nil {
			out = append(out, rec...)
		}
	}
	return out
}

// clientHandshake repairs the ClientHellos in an epoch-0 record and keeps
// a copy of the ClientKeyExchange.
func (r *Repair) clientHandshake(rec []byte) []byte {
	out := append([]byte(nil), rec[:recHdr]...)
	for frag := rec[recHdr:]; len(frag) >= hsHdr; {
		n := get24(frag[9:])
		if hsHdr+n > len(frag) {
			break
		}
		msg := frag[:hsHdr+n]
		frag = frag[hsHdr+n:]
		typ := handshake.Type(msg[0])
		switch typ {
		case handshake.TypeClientHello:
			length := get24(msg[1:])
			body, changed := repairHello(msg[hsHdr:])
			if get24(msg[6:]) != 0 || n != length || !changed {
				out = append(out, msg...)
				continue
			}
			seq := binary.BigEndian.Uint16(msg[4:])
			fixed := append(hsHeader(typ, len(body), seq), body...)
			if cookieLen(body) > 0 {
				r.origHello, r.pionHello = bytes.Clone(msg), fixed
				r.clientRandom = bytes.Clone(msg[hsHdr+2 : hsHdr+34])
			}
			out = append(out, fixed...)
			continue
		case handshake.TypeClientKeyExchange:
			if r.clientKeyExchange == nil {
				r.clientKeyExchange = &hsMessage{typ: typ, seq: binary.BigEndian.Uint16(msg[4:])}
			}
			r.addFragment(r.clientKeyExchange, msg)
		}
		out = append(out, msg...)
	}
	binary.BigEndian.PutUint16(out[11:], uint16(len(out)-recHdr))
	return out
}

// cookieLen returns the length of a ClientHello body's cookie.
func cookieLen(body []byte) int {
	sid := 2 + 32
	if sid >= len(body) || sid+1+int(body[sid]) >= len(body) {
		return 0
	}
	return int(body[sid+1+int(body[sid])])
}

// addFragment copies a handshake fragment into m when it continues what m
// has; later fragments wait for a retransmission.
func (r *Repair) addFragment(m *hsMessage, msg []byte) {
	length, off, n := get24(msg[1:]), get24(msg[6:]), get24(msg[9:])
	if length > maxRepairedMessage {
		r.broken = true
		return
	}
	if m.body == nil {
		m.body = make([]byte, length)
	}
	if length != len(m.body) || off > m.covered || off+n > length {
		return
	}
	copy(m.body[off:], msg[hsHdr:hsHdr+n])
	m.covered = max(m.covered, off+n)
}

// transcript is the handshake so far as one side hashes it, from hello.
func (r *Repair) transcript(hello []byte, fin []byte) ([]byte, bool) {
	t := bytes.Clone(hello)
	for _, typ := range []handshake.Type{handshake.TypeServerHello, handshake.TypeCertificate,
		handshake.TypeServerKeyExchange, handshake.TypeCertificateRequest, handshake.TypeServerHelloDone} {
		m := r.server[typ]
		if m == nil {
			continue
		}
		if !m.complete() {
			return nil, false
		}
		t = append(t, m.whole()...)
	}
	if !r.clientKeyExchange.complete() || hello == nil {
		return nil, false
	}
	t = append(t, r.clientKeyExchange.whole()...)
	return append(t, fin...), true
}

// clientFinished checks the client's Finished against its transcript and
// re-makes it for pion's.
func (r *Repair) clientFinished(rec []byte) []byte {
	var h recordlayer.Header
	if err := h.Unmarshal(rec); err != nil {
		return rec
	}
	plain, err := r.cli.Decrypt(h, bytes.Clone(rec))
	if err != nil {
		return rec
	}
	msg := plain[h.Size():]
	if len(msg) != hsHdr+12 || handshake.Type(msg[0]) != handshake.TypeFinished {
		return rec
	}
	if r.fin != nil { // a retransmission
		if !bytes.Equal(msg, r.finOrig) {
			return rec
		}
		return r.seal(r.cli, h, r.fin, rec)
	}
	tc, ok1 := r.transcript(r.origHello, nil)
	tp, ok2 := r.transcript(r.pionHello, nil)
	if !ok1 || !ok2 {
		r.broken = true
		return rec
	}
	want, err := prf.VerifyDataClient(r.masterSecret, tc, r.hash)
	if err != nil || !bytes.Equal(want, msg[hsHdr:]) {
		r.broken = true // not the client we saw: let pion reject it
		return rec
	}
	verify, err := prf.VerifyDataClient(r.masterSecret, tp, r.hash)
	if err != nil {
		r.broken = true
		return rec
	}
	r.finOrig = bytes.Clone(msg)
	r.fin = append(bytes.Clone(msg[:hsHdr]), verify...)
	return r.seal(r.cli, h, r.fin, rec)
}

func (r *Repair) seal(g *ciphersuite.GCM, h recordlayer.Header, msg, orig []byte) []byte {
	raw := append(bytes.Clone(orig[:h.Size()]), msg...)
	out, err := g.Encrypt(&recordlayer.RecordLayer{Header: h}, raw)
	if err != nil {
		r.broken = true
		return orig
	}
	return out
}

// Outbound rewrites a datagram from pion for the client: it remembers
// pion's handshake messages and re-makes pion's Finished for the client's
// transcript.
func (r *Repair) Outbound(b []byte) []byte {
	if !hasHandshake(b) {
		return b
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.broken {
		return b
	}
	var out []byte
	changed := false
	for rest := b; len(rest) > 0; {
		rec, next, ok := nextRecord(rest)
		if !ok {
			out = append(out, rest...)
			break
		}
		rest = next
		epoch := binary.BigEndian.Uint16(rec[3:])
		switch {
		case rec[0] == contentHandshake && epoch == 0:
			r.serverHandshake(rec)
		case rec[0] == contentHandshake && epoch == 1 && r.srv != nil && r.fin != nil:
			rec = r.serverFinished(rec)
			changed = true
		}
		out = append(out, rec...)
	}
	if !changed {
		return b
	}
	return out
}

func (r *Repair) serverHandshake(rec []byte) {
	for frag := rec[recHdr:]; len(frag) >= hsHdr; {
		n := get24(frag[9:])
		if hsHdr+n > len(frag) {
			return
		}
		msg := frag[:hsHdr+n]
		frag = frag[hsHdr+n:]
		typ := handshake.Type(msg[0])
		switch typ {
		case handshake.TypeServerHello, handshake.TypeCertificate, handshake.TypeServerKeyExchange,
			handshake.TypeCertificateRequest, handshake.TypeServerHelloDone:
		default:
			continue
		}
		if r.server == nil {
			r.server = map[handshake.Type]*hsMessage{}
		}
		m := r.server[typ]
		if m == nil {
			m = &hsMessage{typ: typ, seq: binary.BigEndian.Uint16(msg[4:])}
			r.server[typ] = m
		}
		r.addFragment(m, msg)
		if typ == handshake.TypeServerHello && m.complete() && r.serverRandom == nil && len(m.body) > 35 {
			r.serverRandom = bytes.Clone(m.body[2:34])
			at := 35 + int(m.body[34])
			if at+2 <= len(m.body) {
				r.suite = binary.BigEndian.Uint16(m.body[at:])
			}
		}
	}
}

func (r *Repair) serverFinished(rec []byte) []byte {
	var h recordlayer.Header
	if err := h.Unmarshal(rec); err != nil {
		return rec
	}
	plain, err := r.srv.Decrypt(h, bytes.Clone(rec))
	if err != nil {
		return rec
	}
	msg := plain[h.Size():]
	if len(msg) != hsHdr+12 || handshake.Type(msg[0]) != handshake.TypeFinished {
		return rec
	}
	tc, ok := r.transcript(r.origHello, r.finOrig)
	if !ok {
		r.broken = true
		return rec
	}
	verify, err := prf.VerifyDataServer(r.masterSecret, tc, r.hash)
	if err != nil {
		r.broken = true
		return rec
	}
	return r.seal(r.srv, h, append(bytes.Clone(msg[:hsHdr]), verify...), rec)
}

// Write receives pion's key log line ("CLIENT_RANDOM <random> <master
// secret>"), derives both directions' keys, and delivers the client records
// held for them.
func (r *Repair) Write(line []byte) (int, error) {
	r.mu.Lock()
	var deliver [][]byte
	if err := r.keys(line); err != nil {
		r.broken = true
	}
	held := r.held
	r.held = nil
	for _, rec := range held {
		if !r.broken {
			rec = r.clientFinished(rec)
		}
		deliver = append(deliver, rec)
	}
	r.mu.Unlock()
	for _, d := range deliver {
		r.Deliver(d)
	}
	return len(line), nil
}

func (r *Repair) keys(line []byte) error {
	f := bytes.Fields(line)
	if len(f) != 3 || r.serverRandom == nil {
		return errRepair
	}
	ms := make([]byte, hex.DecodedLen(len(f[2])))
	if _, err := hex.Decode(ms, f[2]); err != nil {
		return errRepair
	}
	keyLen := 16
	switch r.suite {
	case 0xc02b, 0xc02f: // ECDHE_{ECDSA,RSA}_WITH_AES_128_GCM_SHA256
		r.hash = sha256.New
	case 0xc02c, 0xc030: // ECDHE_{ECDSA,RSA}_WITH_AES_256_GCM_SHA384
		r.hash, keyLen = sha512.New384, 32
	default:
		return errRepair
	}
	k, err := prf.GenerateEncryptionKeys(ms, r.clientRandom, r.serverRandom, 0, keyLen, 4, r.hash)
	if err != nil {
		return err
	}
	if r.cli, err = ciphersuite.NewGCM(k.ClientWriteKey, k.ClientWriteIV, k.ClientWriteKey, k.ClientWriteIV); err != nil {
		return err
	}
	if r.srv, err = ciphersuite.NewGCM(k.ServerWriteKey, k.ServerWriteIV, k.ServerWriteKey, k.ServerWriteIV); err != nil {
		return err
	}
	r.masterSecret = ms
	return nil
}
