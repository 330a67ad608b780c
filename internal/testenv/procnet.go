package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ListensOn reports whether process pid holds the socket listening on
// 127.0.0.1:port (Linux: /proc/net/tcp names the listening socket's inode,
// /proc/pid/fd the sockets pid holds). Use it when starting a program that
// takes a port number (FreePort): something answering on the port is no
// proof that the program started bound it, another may have taken the port
// in between; retry on a new port when the program exits instead.
func ListensOn(pid, port int) bool {
	inode := listeningInode(port)
	if inode == "" {
		return false
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return false
	}
	want := "socket:[" + inode + "]"
	for _, fd := range fds {
		if link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name())); err == nil && link == want {
			return true
		}
	}
	return false
}

// listeningInode is the inode of the socket listening on 127.0.0.1:port, or "".
func listeningInode(port int) string {
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return ""
	}
	local := fmt.Sprintf("0100007F:%04X", port)
	for _, line := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(line)
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
		if len(f) >= 10 && f[1] == local && f[3] == "0A" { // 0A: TCP_LISTEN
			if _, err := strconv.ParseUint(f[9], 10, 64); err == nil {
				return f[9]
			}
		}
	}
	return ""
}
