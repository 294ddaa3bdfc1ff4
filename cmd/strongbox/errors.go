package main

import (
	"errors"
	"io/fs"
	"net"
	"net/url"
	"strings"

	"github.com/strongbox-go/strongbox/internal/errcode"
	"github.com/strongbox-go/strongbox/redact"
)

// Errors of serve are one line, name the flag or file to fix, and never
// hold a key, a password or a token: URLs are shown without user info,
// query or fragment, and messages from dependencies go through the
// redactor, which knows every URL and password given.

// addURLSecrets teaches the redactor a URL and the secret parts of it.
func addURLSecrets(red *redact.Redactor, raw string) {
	red.Add(raw)
	if u, err := url.Parse(raw); err == nil {
		if p, ok := u.User.Password(); ok {
			red.Add(p)
			red.Add(url.QueryEscape(p))
		}
		if u.RawQuery != "" {
			red.Add(u.RawQuery)
		}
	}
}

// storeName is a store URL fit for an error: scheme, host and path.
func storeName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(not a URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, Opaque: opaque(u)}).String()
}

func opaque(u *url.URL) string {
	if u.Opaque == "" {
		return ""
	}
	o, _, _ := strings.Cut(u.Opaque, "?")
	return o
}

func storeReason(red *redact.Redactor, err error) string {
	msg := oneLine(red.RedactString(err.Error()))
	switch errcode.Of(err) {
	case errcode.Unavailable:
		return "cannot connect (" + msg + "): check that the database runs and is reachable at that address"
	case errcode.Invalid:
		return msg + ": fix the URL"
	}
	return msg
}

func tlsReason(err error) string {
	msg := err.Error()
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe):
		return pe.Path + ": " + pe.Err.Error() + ": give a readable PEM file"
	case strings.Contains(msg, "does not match"):
		return "the key does not match the certificate: give the key the certificate was made for"
	}
	return strings.TrimPrefix(msg, "tls: ") + ": give a PEM certificate and its private key"
}

func listenReason(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

func reasonOf(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
