package dgramconn

import (
	"testing"
	"time"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestReadDeadline(t *testing.T) {
	var d readDeadline
	if closed(d.Done()) {
		t.Fatal("zero Deadline is done")
	}
	d.Set(time.Now().Add(-time.Second))
	if !closed(d.Done()) {
		t.Fatal("past deadline not done")
	}
	d.Set(time.Time{})
	if closed(d.Done()) {
		t.Fatal("cleared deadline still done")
	}
	d.Set(time.Now().Add(20 * time.Millisecond))
	select {
	case <-d.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("deadline never fired")
	}
	// A deadline moved away before it fires must not close the channel.
	d.Set(time.Now().Add(time.Hour))
	ch := d.Done()
	d.Set(time.Now().Add(2 * time.Hour))
	if closed(ch) || closed(d.Done()) {
		t.Fatal("moved deadline fired")
	}
	d.Set(time.Time{})
}
