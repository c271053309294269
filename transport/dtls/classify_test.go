package dtls

import (
	"testing"
)

// A pion ClientHello without and with a cookie (record header, handshake
// header, body), trimmed after the cookie.
var (
	helloNoCookie = []byte{
		0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30, // record: handshake, DTLS 1.2, epoch 0, len 48
		0x01, 0, 0, 0x24, 0, 0, 0, 0, 0, 0, 0, 0x24, // client_hello, len 36, seq 0, frag 0..36
		0xfe, 0xfd, // client_version
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
		0, // session_id
		0, // cookie
	}
	helloCookie = []byte{
		0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x33,
		0x01, 0, 0, 0x27, 0, 1, 0, 0, 0, 0, 0, 0x27,
		0xfe, 0xfd,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
		0,
		3, 0xaa, 0xbb, 0xcc,
	}
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name          string
		b             []byte
		hello, cookie bool
	}{
		{"no cookie", helloNoCookie, true, false},
		{"cookie", helloCookie, true, true},
		{"empty", nil, false, false},
		{"garbage", []byte("garbage, not DTLS at all, long enough to parse"), false, false},
		{"truncated record", helloCookie[:len(helloCookie)-1], false, false},
		{"application data", append([]byte{0x17}, helloCookie[1:]...), false, false},
		{"epoch 1", func() []byte { b := append([]byte(nil), helloCookie...); b[4] = 1; return b }(), false, false},
		{"server hello", func() []byte { b := append([]byte(nil), helloCookie...); b[13] = 2; return b }(), false, false},
		{"later fragment", func() []byte { b := append([]byte(nil), helloCookie...); b[21] = 5; return b }(), false, false},
		{"cookie past fragment", func() []byte { b := append([]byte(nil), helloCookie...); b[24] = 0x25; return b }(), true, false},
	} {
		hello, cookie := classify(tc.b)
		if hello != tc.hello || cookie != tc.cookie {
			t.Errorf("%s: classify = %v, %v; want %v, %v", tc.name, hello, cookie, tc.hello, tc.cookie)
		}
	}
}

// FuzzClassify: classify never panics on any datagram, and a cookie is only
// reported inside a ClientHello.
func FuzzClassify(f *testing.F) {
	f.Add(helloNoCookie)
	f.Add(helloCookie)
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, b []byte) {
		hello, cookie := classify(b)
		if cookie && !hello {
			t.Fatalf("cookie reported outside a ClientHello: %x", b)
		}
		if hello && (len(b) < 25 || b[0] != 22 || b[13] != 1) {
			t.Fatalf("non-ClientHello classified as one: %x", b)
		}
	})
}
