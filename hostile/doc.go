// Package hostile is packetpeer's hostile-peer suite: tests that attack each
// transport's listener on 127.0.0.1 and check that it survives.
package hostile
