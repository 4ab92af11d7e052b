package export

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/waymarkhq/waymark/internal/gzipx"
	"github.com/waymarkhq/waymark/internal/version"
)

// userAgent names the client and nothing about the host it runs on.
const userAgent = "waymark/" + version.Version

const (
	defaultSendTimeout = 10 * time.Second
	maxResponseRead    = 64 << 10
)

// ErrRejected marks a batch the endpoint refused as malformed (a 4xx other
// than 408 and 429): sending it again can never succeed.
var ErrRejected = errors.New("export: batch rejected by the endpoint")

// ErrRetry marks a delivery that failed for a reason that may pass: a network
// or TLS error, a timeout, a 5xx, 408, 429 or an unexpected redirect.
var ErrRetry = errors.New("export: delivery failed, retry later")

// Sender POSTs encoded OTLP payloads to one OTLP/HTTP endpoint. It has its
// own HTTP client and transport, so it neither uses nor changes the host
// program's http.DefaultClient, and it never reads OTEL_* variables. A Sender
// is safe for concurrent use.
type Sender struct {
	base      *url.URL
	client    *http.Client
	transport *http.Transport
}

// NewSender returns a Sender for the OTLP/HTTP base URL endpoint, such as
// https://telemetry.acme.dev or http://127.0.0.1:4318; signal paths are
// appended to it. Plain http is refused unless the host is loopback
// (127.0.0.0/8, ::1 or "localhost") or allowInsecure is set. timeout, if
// positive, bounds each Send from dialling to the end of the response
// (default 10 s). Proxies are taken from HTTPS_PROXY, HTTP_PROXY and NO_PROXY
// as net/http does; redirects are not followed.
func NewSender(endpoint string, allowInsecure bool, timeout time.Duration) (*Sender, error) {
	u, err := CheckEndpoint(endpoint, allowInsecure)
	if err != nil {
		return nil, err
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	if timeout <= 0 {
		timeout = defaultSendTimeout
	}
	tr := newTransport(timeout)
	return &Sender{
		base:      u,
		transport: tr,
		client: &http.Client{
			Transport: tr,
			Timeout:   timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}, nil
}

// MaxURL bounds the length of every URL Waymark accepts.
const MaxURL = 2048

// CheckURL enforces what every URL Waymark contacts must be: at most MaxURL
// bytes, absolute http
// or https with a host and no credentials, and plain http only to a loopback
// host (127.0.0.0/8, ::1, localhost) unless allowInsecure.
func CheckURL(raw string, allowInsecure bool) (*url.URL, error) {
	if len(raw) > MaxURL {
		return nil, fmt.Errorf("export: URL of %d bytes: at most %d", len(raw), MaxURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("export: URL %q: not a URL", raw)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("export: URL %q: scheme must be https (or http to loopback)", raw)
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("export: URL %q: no host", raw)
	case u.User != nil:
		return nil, fmt.Errorf("export: URL %q: must not carry credentials", raw)
	case u.Scheme == "http" && !allowInsecure && !isLoopback(u.Hostname()):
		return nil, fmt.Errorf("export: URL %q: plain http is allowed only to a loopback host (127.0.0.0/8, ::1, localhost) unless insecure endpoints are allowed; use https", raw)
	}
	return u, nil
}

// CheckEndpoint is CheckURL for an OTLP/HTTP base URL, which also must not
// have a query or fragment (signal paths are appended to it). Start checks
// the Config with it, so an endpoint it accepts is one NewSender accepts.
func CheckEndpoint(raw string, allowInsecure bool) (*url.URL, error) {
	u, err := CheckURL(raw, allowInsecure)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("export: URL %q: an endpoint must not have a query or fragment", raw)
	}
	return u, nil
}

// HTTPClient is an *http.Client on Waymark's own transport (see NewSender)
// for the one other request Waymark makes, the update manifest.
func HTTPClient(timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: newTransport(timeout),
		Timeout:   timeout,
		// No redirect is followed: one could lead from https to plain http
		// on another host, past the rule CheckURL enforces.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// newTransport is Waymark's private transport: never http.DefaultTransport,
// proxies from the environment as net/http reads them, TLS 1.2 or later,
// every wait bounded by timeout.
func newTransport(timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        30 * time.Second,
		MaxIdleConns:           2,
		MaxIdleConnsPerHost:    2,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
}

// isLoopback reports whether host is "localhost" or a loopback IP literal.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close closes the Sender's idle connections, so a server that shut down
// leaves no socket open to the endpoint.
func (s *Sender) Close() { s.transport.CloseIdleConnections() }

// Send gzips body, an encoded LogsData or MetricsData, and POSTs it to the
// endpoint's path for sig. It returns nil on a 2xx answer, an error wrapping
// ErrRejected when the endpoint refused the batch for good, and an error
// wrapping ErrRetry for every other outcome; RetryAfter tells the wait a
// 429 or 503 answer asked for. At most 64 KiB of the response is read.
func (s *Sender) Send(ctx context.Context, sig Signal, body []byte) error {
	if !sig.valid() {
		return fmt.Errorf("export: send: invalid signal %v", sig)
	}
	gz := gzipx.Compress(body)
	target := *s.base
	target.Path += sig.Path()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(gz))
	if err != nil {
		return fmt.Errorf("export: send: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("User-Agent", userAgent)
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: POST %s: %w", ErrRetry, sig.Path(), err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseRead))
	resp.Body.Close()
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		return nil
	case code >= 400 && code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests:
		return fmt.Errorf("%w: POST %s: HTTP %d", ErrRejected, sig.Path(), code)
	default:
		err := fmt.Errorf("%w: POST %s: HTTP %d", ErrRetry, sig.Path(), code)
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			if wait := retryAfter(resp.Header, time.Now()); wait > 0 {
				return &retryAfterError{err: err, wait: wait}
			}
		}
		return err
	}
}
