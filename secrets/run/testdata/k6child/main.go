// Command k6child stands in for k6 in the tests of package run: it reads
// K6_SECRET_SOURCE as k6 does (a url source), fetches one secret over the
// url protocol and prints it raw, split across writes and base64-encoded.
//
//	k6child NAME EXIT_CODE [MODE] [SIDE_FILE] [SCAN_FILE]
//
// MODE "print" (default) prints and exits; "wait" prints "ready" and waits
// to be ended by a signal (default action); "trap" waits, then prints the
// signal it got and exits with EXIT_CODE. SIDE_FILE, if given, receives the
// spec (so the test can try the token after the run); SCAN_FILE, if given,
// receives the value in JSON, as a handleSummary would.
package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	name, code := os.Args[1], os.Args[2]
	mode := "print"
	if len(os.Args) > 3 {
		mode = os.Args[3]
	}
	spec := os.Getenv("K6_SECRET_SOURCE")
	if len(os.Args) > 4 && os.Args[4] != "" {
		if err := os.WriteFile(os.Args[4], []byte(spec), 0o600); err != nil {
			fail(err)
		}
	}
	cfg, ok := strings.CutPrefix(spec, "url=")
	if !ok {
		fail(fmt.Errorf("K6_SECRET_SOURCE is not a url source"))
	}
	opts := map[string]string{}
	for _, kv := range strings.Split(cfg, ",") {
		k, v, _ := strings.Cut(kv, "=")
		opts[k] = v
	}
	req, err := http.NewRequest(http.MethodGet, strings.ReplaceAll(opts["urlTemplate"], "{key}", name), nil)
	if err != nil {
		fail(err)
	}
	for k, v := range opts {
		if h, ok := strings.CutPrefix(k, "headers."); ok {
			req.Header.Set(h, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fail(err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		fail(fmt.Errorf("status %d", res.StatusCode))
	}
	value := string(body) // no responsePath: the whole body, as k6
	if p := opts["responsePath"]; p != "" {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			fail(err)
		}
		value, _ = m[p].(string)
	}

	fmt.Println("raw: " + value)
	os.Stdout.WriteString("split: " + value[:3])
	time.Sleep(20 * time.Millisecond)
	os.Stdout.WriteString(value[3:] + "\n")
	fmt.Println("b64: " + base64.StdEncoding.EncodeToString([]byte(value)))
	fmt.Fprintln(os.Stderr, "Authorization: "+req.Header.Get("Authorization"))
	fmt.Fprintln(os.Stderr, "stderr raw: "+value)
	if len(os.Args) > 5 && os.Args[5] != "" {
		b, _ := json.Marshal(map[string]string{"summary": "done", "leaked": value})
		if err := os.WriteFile(os.Args[5], b, 0o600); err != nil {
			fail(err)
		}
	}
	switch mode {
	case "wait":
		fmt.Println("ready")
		time.Sleep(time.Minute)
	case "trap":
		ch := make(chan os.Signal, 2)
		signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
		fmt.Println("ready")
		sig := <-ch
		time.Sleep(100 * time.Millisecond) // a second forwarded signal would arrive now
		n := 1 + len(ch)
		fmt.Printf("got %v %d time(s)\n", sig, n)
	}
	n, _ := strconv.Atoi(code)
	os.Exit(n)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "k6child:", err)
	os.Exit(99)
}
