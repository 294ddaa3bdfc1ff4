package httpapi

import (
	"net/http"
	"time"
)

// Server timeouts of NewServer.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	// maxHeaderBytes leaves room for a run token listing 100 long names.
	maxHeaderBytes = 64 << 10
)

// NewServer returns an http.Server for h on addr with the timeouts above,
// so that slow or idle clients cannot hold connections open. Start it with
// ListenAndServe (or ListenAndServeTLS; use TLS anywhere but loopback, the
// API carries bearer tokens and values) and stop it with Shutdown.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}
