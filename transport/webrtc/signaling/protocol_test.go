package signaling

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseMessage(t *testing.T) {
	good := map[string]Message{
		`{"type":4,"id":2,"data":"sdp"}`:          {Type: Offer, ID: 2, Data: "sdp"},
		`{"type":"4","id":"2","data":"sdp"}`:      {Type: Offer, ID: 2, Data: "sdp"},
		`{"type":4.0,"id":1e0,"data":""}`:         {Type: Offer, ID: 1},
		`{"data":"x","id":0,"type":0,"extra":[]}`: {Type: Join, Data: "x"},
	}
	for in, want := range good {
		got, err := ParseMessage([]byte(in))
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	bad := []string{``, `[]`, `{"type":1,"id":1}`, `{"type":1,"data":""}`, `{"type":1.5,"id":1,"data":""}`,
		`{"type":1,"id":1,"data":5}`, `{"type":99999999999,"id":1,"data":""}`, `{"type":1,"id":1,"data":""} x`,
		`{"type":"x","id":1,"data":""}`}
	for _, in := range bad {
		_, err := ParseMessage([]byte(in))
		require.True(t, errors.Is(err, ErrBadMessage), "%s: %v", in, err)
	}
	m := Message{Type: Candidate, ID: 7, Data: "a\"b"}
	back, err := ParseMessage(m.Marshal())
	require.NoError(t, err)
	require.Equal(t, m, back)
}

func TestParseCandidate(t *testing.T) {
	mid, idx, c, err := ParseCandidate(CandidateData("0", 3, "candidate:x"))
	require.NoError(t, err)
	require.Equal(t, []any{"0", 3, "candidate:x"}, []any{mid, idx, c})
	for _, bad := range []string{"", "\n0\n1", "\n0\nx\nc", "\n0\n1\nc\nd", "\n0\n-1\nc", "\n0\n70000\nc"} {
		_, _, _, err := ParseCandidate(bad)
		require.ErrorIs(t, err, ErrBadMessage, "%q", bad)
	}
}

func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{`{"type":4,"id":2,"data":"sdp"}`, `{"type":"6","id":"1","data":"\n0\n0\ncandidate:1"}`, `{"type":1e3,"id":-1,"data":""}`, `[`, `{"type":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(b)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error %v does not match ErrBadMessage", err)
			}
			return
		}
		back, err := ParseMessage(m.Marshal())
		if err != nil || back != m {
			t.Fatalf("round trip of %+v: %+v, %v", m, back, err)
		}
	})
}

func FuzzParseCandidate(f *testing.F) {
	for _, s := range []string{"\n0\n0\ncandidate:1 1 udp 2 127.0.0.1 9 typ host", "\n\n\n", "a\n1\nb", "\n0\n99999999999999999999\nc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		mid, idx, c, err := ParseCandidate(s)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error %v does not match ErrBadMessage", err)
			}
			return
		}
		if idx < 0 || idx > 65535 || mid == "" || c == "" {
			t.Fatalf("accepted %q as %q %d %q", s, mid, idx, c)
		}
	})
}

// TestMarshalSize: a relayed message stays about the size of the one
// received ('<' '>' '&' are not turned into six-byte escapes), so the server's
// queue bound in bytes is not multiplied by an attacker's choice of data.
func TestMarshalSize(t *testing.T) {
	data := strings.Repeat("<>&", 1000)
	m := Message{Type: Offer, ID: 2, Data: data}
	b := m.Marshal()
	require.Equal(t, `{"type":4,"id":2,"data":"`+data+`"}`, string(b))
	back, err := ParseMessage(b)
	require.NoError(t, err)
	require.Equal(t, m, back)
}
