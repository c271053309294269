// Package gamerpc is gdrpc's output for the sample game in
// cmd/gdrpc/testdata/game, kept compiled and checked by gdrpc's tests.
package gamerpc

//go:generate go run github.com/packetpeer/packetpeer/cmd/gdrpc -o rpc_gen.go ../../testdata/game
