// Package webrtc is Godot 4's WebRTCPeerConnection and WebRTCDataChannel on
// pion/webrtc.
package webrtc
