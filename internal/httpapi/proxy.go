package httpapi

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ClientIP is the address of the client a request is from: the
// connection's peer, unless the peer is a trusted proxy
// (Options.TrustedProxies). Then it is the last address of
// X-Forwarded-For that no trusted proxy added: each proxy appends the
// address it was reached from, so what stands further left was written by
// the client and proves nothing. (fiber's own c.IP with a ProxyHeader
// takes the first address, which a client behind an appending proxy
// chooses; SecBot reads the header itself.)
func ClientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP().String()
	proxies := c.App().Config().TrustedProxies
	if len(proxies) == 0 || !c.IsProxyTrusted() {
		return peer
	}
	trusted := func(a netip.Addr) bool {
		for _, p := range proxies {
			if pre, err := netip.ParsePrefix(p); err == nil && pre.Contains(a) {
				return true
			}
			if pa, err := netip.ParseAddr(p); err == nil && pa.Unmap() == a {
				return true
			}
		}
		return false
	}
	hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		a, err := netip.ParseAddr(hop)
		if err != nil {
			ap, perr := netip.ParseAddrPort(hop) // some proxies add the port
			if perr != nil {
				return hop // not an address, yet written by a trusted proxy: its word
			}
			a = ap.Addr()
		}
		if a = a.Unmap(); !trusted(a) {
			return a.String()
		}
	}
	return peer // only proxies: the request started at one of them
}
