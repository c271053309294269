// Package chatcert is the certificate plumbing shared by the TLS-based chat
// examples (DTLS and QUIC): the server's -cert/-key/-self-signed/-cert-out
// flags and the client's -ca flag.
package chatcert

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/packetpeer/packetpeer/devcert"
)

// ServerCertificate loads certFile and keyFile or, with selfSigned, makes a
// development certificate for localhost, 127.0.0.1, ::1 and the
// comma-separated extra hosts, and writes its PEM to certOut (if not empty)
// for clients to trust with -ca.
func ServerCertificate(certFile, keyFile string, selfSigned bool, hosts, certOut string) (tls.Certificate, error) {
	if !selfSigned {
		if certFile == "" || keyFile == "" {
			return tls.Certificate{}, errors.New("give -cert and -key, or -self-signed for development")
		}
		return tls.LoadX509KeyPair(certFile, keyFile)
	}
	names := []string{"localhost", "127.0.0.1", "::1"}
	for h := range strings.SplitSeq(hosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			names = append(names, h)
		}
	}
	c, err := devcert.New(names...)
	if err != nil {
		return tls.Certificate{}, err
	}
	if certOut != "" {
		if err := os.WriteFile(certOut, c.CertPEM(), 0o644); err != nil {
			return tls.Certificate{}, err
		}
		slog.Info("wrote the self-signed certificate; give it to clients with -ca", "file", certOut, "hosts", names)
	}
	return c.TLS, nil
}

// Roots reads the PEM certificates in caFile into a pool. An empty caFile
// gives nil: the system's roots.
func Roots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", caFile)
	}
	return roots, nil
}
