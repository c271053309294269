package dtls

import (
	"errors"
	"fmt"
)

var (
	// ErrHostnameMismatch: the server's certificate is trusted but issued
	// for another name (Godot's STATUS_ERROR_HOSTNAME_MISMATCH). The Dial
	// error's Status is StatusErrorHostnameMismatch.
	ErrHostnameMismatch = errors.New("dtls: certificate is not valid for the host name")
	// ErrUntrustedCertificate: the server's certificate chain does not
	// verify against the trusted roots.
	ErrUntrustedCertificate = errors.New("dtls: certificate is not trusted")
)

// Status is Godot's PacketPeerDTLS.Status.
type Status int

// Godot's PacketPeerDTLS status values.
const (
	StatusDisconnected          Status = 0 // STATUS_DISCONNECTED
	StatusHandshaking           Status = 1 // STATUS_HANDSHAKING
	StatusConnected             Status = 2 // STATUS_CONNECTED
	StatusError                 Status = 3 // STATUS_ERROR
	StatusErrorHostnameMismatch Status = 4 // STATUS_ERROR_HOSTNAME_MISMATCH
)

func (s Status) String() string {
	switch s {
	case StatusDisconnected:
		return "STATUS_DISCONNECTED"
	case StatusHandshaking:
		return "STATUS_HANDSHAKING"
	case StatusConnected:
		return "STATUS_CONNECTED"
	case StatusError:
		return "STATUS_ERROR"
	case StatusErrorHostnameMismatch:
		return "STATUS_ERROR_HOSTNAME_MISMATCH"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// HandshakeError is the cause of Dial's error when the handshake fails: Dial
// returns a *peer.OpError with Op "dial", Code peer.ErrTimeout when the
// handshake timed out and peer.ErrCantConnect otherwise, and this as Err
// (find it with errors.As). Status is the status Godot's PacketPeerDTLS
// would be left in (StatusErrorHostnameMismatch for a name mismatch,
// StatusError otherwise). errors.Is matches Err (for example
// ErrHostnameMismatch, ErrUntrustedCertificate, context.DeadlineExceeded).
type HandshakeError struct {
	Addr   string // the dialled address
	Status Status
	Err    error
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("handshake with %s failed (%s): %v", e.Addr, e.Status, e.Err)
}

// Unwrap returns the cause.
func (e *HandshakeError) Unwrap() error { return e.Err }

func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.As(err, &te) && te.Timeout()
}
