package udp

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/packetpeer/packetpeer/peer"
)

// recordHeader is the size of the source address stored before each packet
// in the receive ring: a 16-byte IPv6 (or IPv4-mapped) address and a 2-byte
// big-endian port. (Godot stores 24 bytes: address, 4-byte port, 4-byte
// length; ringbuf keeps the length itself.)
const recordHeader = 18

// putRecordHeader writes src into b[:recordHeader]. An IPv6 zone is not kept.
func putRecordHeader(b []byte, src netip.AddrPort) {
	a := src.Addr().As16()
	copy(b, a[:])
	binary.BigEndian.PutUint16(b[16:recordHeader], src.Port())
}

// decodeRecord splits a ring record into its source address and payload.
// IPv4-mapped addresses come back as IPv4, as Godot's get_packet_ip prints
// them.
func decodeRecord(b []byte) (netip.AddrPort, []byte, error) {
	if len(b) < recordHeader {
		return netip.AddrPort{}, nil, &peer.OpError{Op: "decode record", Transport: "udp", Code: peer.ErrInvalidData,
			Detail: fmt.Sprintf("record of %d bytes is shorter than its %d-byte address header", len(b), recordHeader)}
	}
	addr := netip.AddrFrom16([16]byte(b[:16])).Unmap()
	port := binary.BigEndian.Uint16(b[16:recordHeader])
	return netip.AddrPortFrom(addr, port), b[recordHeader:], nil
}
