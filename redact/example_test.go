package redact_test

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"os"

	"github.com/strongbox-go/strongbox/redact"
)

func Example() {
	r := redact.New(redact.Options{})
	r.Add("hunter2-hunter2")

	line := "login user=alice password=hunter2-hunter2 basic=" +
		base64.StdEncoding.EncodeToString([]byte("alice:hunter2-hunter2"))
	fmt.Println(string(r.Redact(nil, []byte(line))))
	// Output:
	// login user=alice password=***SECRET_REDACTED*** basic=YWxpY2U6***SECRET_REDACTED***
}

func ExampleNewWriter() {
	r := redact.New(redact.Options{})
	r.Add("s3cr3t-token")

	w := redact.NewWriter(os.Stdout, r)
	// The secret is split across writes; the writer still sees it.
	fmt.Fprint(w, "token=s3cr")
	fmt.Fprint(w, "3t-tok")
	fmt.Fprint(w, "en done\n")
	w.Close()
	// Output:
	// token=***SECRET_REDACTED*** done
}

func ExampleNewHandler() {
	r := redact.New(redact.Options{})
	r.Add("s3cr3t-token")

	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	log := slog.New(redact.NewHandler(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}), r))
	log.With("auth", "Bearer s3cr3t-token").Info("fetched s3cr3t-token", "len", 12)
	// Output:
	// {"level":"INFO","msg":"fetched ***SECRET_REDACTED***","auth":"Bearer ***SECRET_REDACTED***","len":12}
}

func ExampleRedactor_Scan() {
	r := redact.New(redact.Options{})
	r.Add("first-secret")
	r.Add("second-secret")

	report := []byte(`{"summary":"ok","debug":"c2Vjb25kLXNlY3JldA=="}`)
	for _, l := range r.Scan(report) {
		fmt.Printf("secret #%d as %s at bytes %d-%d\n", l.SecretID, l.Variant, l.Offset, l.Offset+l.Length)
	}
	// Output:
	// secret #1 as base64-std at bytes 25-42
}

func ExampleOptions() {
	r := redact.New(redact.Options{Marker: "[hidden]", Disable: redact.Base64Std | redact.Base64URL})
	r.Add("line one\nline two")
	fmt.Println(r.RedactString("got: line two"))
	// Output:
	// got: [hidden]
}
