//go:build !unix

package udp

import "time"

func processCPU() time.Duration { return 0 }
