// Package chatcert is the certificate plumbing shared by the TLS-based chat
// examples (DTLS and QUIC): the server's -cert/-key/-self-signed/-cert-out
// flags and the client's -ca flag.
package chatcert

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
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

// ServerFlags are a TLS chat server's certificate flags: -cert, -key,
// -self-signed, -host and -cert-out.
type ServerFlags struct {
	certFile, keyFile, hosts, certOut string
	selfSigned                        bool
}

// NewServerFlags registers the server's certificate flags on the command
// line; certOut is -cert-out's default. Call Certificate after flag.Parse.
func NewServerFlags(certOut string) *ServerFlags {
	f := &ServerFlags{}
	flag.StringVar(&f.certFile, "cert", "", "PEM certificate chain file")
	flag.StringVar(&f.keyFile, "key", "", "PEM private key file")
	flag.BoolVar(&f.selfSigned, "self-signed", false, "generate a self-signed development certificate")
	flag.StringVar(&f.hosts, "host", "", "with -self-signed: extra comma-separated DNS names or IPs the certificate is valid for")
	flag.StringVar(&f.certOut, "cert-out", certOut, "with -self-signed: write the certificate PEM here for clients' -ca")
	return f
}

// Certificate is ServerCertificate of the flags' values.
func (f *ServerFlags) Certificate() (tls.Certificate, error) {
	return ServerCertificate(f.certFile, f.keyFile, f.selfSigned, f.hosts, f.certOut)
}

// ClientFlags are a TLS chat client's flags: -ca, -servername and -insecure.
type ClientFlags struct {
	caFile     string
	ServerName string // -servername: the name to check the certificate against ("": the host dialled)
	Insecure   bool   // -insecure: do not verify the server's certificate
}

// NewClientFlags registers the client's certificate flags on the command
// line. Read them after flag.Parse.
func NewClientFlags() *ClientFlags {
	f := &ClientFlags{}
	flag.StringVar(&f.caFile, "ca", "", "PEM file of the CA (or the server's self-signed certificate) to trust; default: the system's CAs")
	flag.StringVar(&f.ServerName, "servername", "", "name to check the certificate against (default: the host in -addr)")
	flag.BoolVar(&f.Insecure, "insecure", false, "UNSAFE: do not verify the server's certificate (development only)")
	return f
}

// Roots is Roots of -ca.
func (f *ClientFlags) Roots() (*x509.CertPool, error) { return Roots(f.caFile) }

// TLSConfig is the client's tls.Config of the flags: -ca's roots,
// -servername, and -insecure as InsecureSkipVerify.
func (f *ClientFlags) TLSConfig() (*tls.Config, error) {
	roots, err := f.Roots()
	if err != nil {
		return nil, err
	}
	return &tls.Config{ServerName: f.ServerName, RootCAs: roots, InsecureSkipVerify: f.Insecure}, nil
}
