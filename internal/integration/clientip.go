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

// unknownAddrKey is the one failure-limit bucket shared by every request
// whose address a trusted source claimed but unusably (see clientAddr). An
// address key is an IP address or an IPv6 prefix, never this word.
const unknownAddrKey = "unknown"

// clientAddr returns the client's address (the zero Addr when it cannot be
// known) and the key the per-address failure limit counts it under. Sources,
// in order:
//
//  1. X-Origin-IP, when Options.TrustOriginIP (requests through AppAPI's PHP
//     proxy, whose signature the handlers verified before Authenticate).
//  2. The peer address, unless it is a trusted proxy.
//  3. Behind trusted proxies: the right-most X-Forwarded-For entry that is
//     not itself a trusted proxy.
//
// A client can therefore only choose the left part of X-Forwarded-For, which
// is never read while an untrusted hop follows it.
//
// The key fails closed. It is:
//   - for an address, the address itself (an IPv4-mapped IPv6 address counts
//     as its IPv4 address), or for IPv6 its /64: one subscriber usually holds
//     a whole /64 and could otherwise rotate through 2^64 addresses;
//   - unknownAddrKey when a source we trust named the client unusably: an
//     X-Origin-IP that is empty, unparseable, a comma list or sent more than
//     once, or a malformed X-Forwarded-For entry behind a trusted proxy. Such
//     requests share one bucket instead of escaping the limit. AppAPI's
//     proxy always sets exactly one valid X-Origin-IP, so legitimate traffic
//     never lands there; the request itself goes on (403 address_unknown if
//     an allowlist applies) rather than being refused with a 400, so the
//     answer still names the real reason;
//   - "" when there is no address at all (a unix socket peer, as under
//     HaRP): no per-address limit, which would put every client in one
//     bucket that any of them could block. The per-credential and
//     per-instance limits (limits.go) apply there.
func (a *Authenticator) clientAddr(r *http.Request) (netip.Addr, string) {
	if a.o.TrustOriginIP {
		if v := r.Header[canonicalOriginIP]; len(v) > 0 {
			if len(v) != 1 {
				return netip.Addr{}, unknownAddrKey
			}
			return withKey(parseAddr(v[0]))
		}
	}
	peer := parsePeer(r.RemoteAddr)
	if !peer.IsValid() {
		return peer, ""
	}
	if !a.trusted(peer) {
		return withKey(peer)
	}
	hops := r.Header.Values("X-Forwarded-For")
	for i := len(hops) - 1; i >= 0; i-- {
		parts := strings.Split(hops[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			addr := parseAddr(parts[j])
			if !addr.IsValid() {
				return netip.Addr{}, unknownAddrKey
			}
			if !a.trusted(addr) {
				return withKey(addr)
			}
			peer = addr
		}
	}
	return withKey(peer) // every hop trusted: the left-most one is the client
}

// withKey returns addr and its limit key (unknownAddrKey for an invalid
// addr, which a trusted source claimed).
func withKey(addr netip.Addr) (netip.Addr, string) {
	switch {
	case !addr.IsValid():
		return addr, unknownAddrKey
	case addr.Is4():
		return addr, addr.String()
	}
	p, _ := addr.Prefix(64) // drops any zone
	return addr, p.String()
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
