//go:build unix

package cdp

import (
	"os/exec"
	"syscall"
)

// The browser gets its own process group so that its helper processes
// (zygote, renderers, GPU) are killed with it.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
