package integration

import (
	"net/http"
	"net/netip"
	"strings"
)

// HeaderOriginIP is set by AppAPI's PHP proxy to the client address Nextcloud
// saw; the proxy drops any client-sent value first.
const HeaderOriginIP = "X-Origin-IP"

const canonicalOriginIP = "X-Origin-Ip"

// clientAddr returns the client's address, or the zero Addr when it cannot
// be known. Sources, in order:
//
//  1. X-Origin-IP, when Options.TrustOriginIP (requests through AppAPI's PHP
//     proxy, whose signature the handlers verified before Authenticate).
//  2. The peer address, unless it is a trusted proxy.
//  3. Behind trusted proxies: the right-most X-Forwarded-For entry that is
//     not itself a trusted proxy. A malformed entry makes the address unknown.
//
// A client can therefore only choose the left part of X-Forwarded-For, which
// is never read while an untrusted hop follows it.
func (a *Authenticator) clientAddr(r *http.Request) netip.Addr {
	if a.o.TrustOriginIP {
		if v := r.Header[canonicalOriginIP]; len(v) > 0 {
			if len(v) != 1 {
				return netip.Addr{}
			}
			return parseAddr(v[0])
		}
	}
	peer := parsePeer(r.RemoteAddr)
	if !peer.IsValid() || !a.trusted(peer) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			addr := parseAddr(parts[j])
			if !addr.IsValid() {
				return netip.Addr{}
			}
			if !a.trusted(addr) {
				return addr
			}
			peer = addr
		}
	}
	return peer // every hop trusted: the left-most one is the client
}

func (a *Authenticator) trusted(addr netip.Addr) bool {
	for _, p := range a.o.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseAddr parses one address, tolerating spaces, an IPv4-mapped IPv6 form
// and a port ("1.2.3.4:5", "[::1]:5").
func parseAddr(s string) netip.Addr {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return a.Unmap()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil && ap.Addr().Zone() == "" {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

// parsePeer parses http.Request.RemoteAddr ("ip:port"; "" or "@" on a unix
// socket, which yields the zero Addr).
func parsePeer(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
