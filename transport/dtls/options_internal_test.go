package dtls

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// IdleTimeout's default depends on the side: a minute for a Listener's
// peers, none for Dial; negative means none on both.
func TestIdleTimeoutDefaults(t *testing.T) {
	for _, tc := range []struct {
		cfg            *Config
		listen, dialed time.Duration
	}{
		{nil, DefaultIdleTimeout, 0},
		{&Config{}, DefaultIdleTimeout, 0},
		{&Config{IdleTimeout: time.Second}, time.Second, time.Second},
		{&Config{IdleTimeout: KeepIdlePeers}, 0, 0},
		{&Config{IdleTimeout: -time.Hour}, 0, 0},
	} {
		c := tc.cfg.withDefaults()
		require.Equal(t, tc.listen, c.idleTimeout(DefaultIdleTimeout), "%+v", tc.cfg)
		require.Equal(t, tc.dialed, c.idleTimeout(0), "%+v", tc.cfg)
	}
	require.Equal(t, time.Minute, DefaultIdleTimeout)
}
