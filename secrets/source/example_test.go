package source_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/strongbox-go/strongbox/redact"
	"github.com/strongbox-go/strongbox/secrets/source"
)

// A runner resolves the k6 spec --secret-source=mock=api-key=...; the value
// it fetches is redacted from its logs from then on.
func Example() {
	ctx := context.Background()
	red := redact.New(redact.Options{})
	r, err := source.NewResolver(ctx, source.Options{
		Specs:    []string{"mock=api-key=s3cr3t-t0ken,db-password=hunter2"},
		Env:      func() []string { return nil }, // do not read STRONGBOX_SECRET_SOURCE from the process
		Redactor: red,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	v, err := r.Get(ctx, "api-key")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(v, v.Len())

	log := slog.New(redact.NewHandler(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}), red))
	log.Info("sending", "authorization", "Bearer "+v.DangerouslyExpose())

	_, err = r.Get(ctx, "missing")
	fmt.Println(err)
	// Output:
	// [REDACTED] 12
	// level=INFO msg=sending authorization="Bearer ***SECRET_REDACTED***"
	// source.Get: not found: source "mock": no secret "missing" in the mock source
}

// Several named sources; source(name).get(key) in k6 is Source(name).Get.
func ExampleResolver_Source() {
	ctx := context.Background()
	r, err := source.NewResolver(ctx, source.Options{
		Specs: []string{
			"mock=name=staging,api-key=staging-key",
			"mock=name=prod,api-key=prod-key,default",
		},
		Env: func() []string { return nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Names())
	v, _ := r.Source("staging").Get(ctx, "api-key")
	fmt.Println(v.Len())
	v, _ = r.Get(ctx, "api-key") // the default source, prod
	fmt.Println(v.Len())
	_, err = r.Source("qa").Get(ctx, "api-key")
	fmt.Println(err)
	// Output:
	// [staging prod]
	// 11
	// 8
	// source.Get: source "qa": not found: no such secret source
}

// Malformed specs fail with the position and never the value.
func ExampleNewResolver_invalidSpecs() {
	ctx := context.Background()
	_, err := source.NewResolver(ctx, source.Options{Specs: []string{"mock=a=1", "mock=b=2"}})
	fmt.Println(err)
	_, err = source.NewResolver(ctx, source.Options{Specs: []string{"mock=default", "file=x.secret,default"}})
	fmt.Println(err)
	// Output:
	// source.NewResolver: invalid: spec 2: name "mock" is already used by spec 1
	// source.NewResolver: invalid: spec 2: two default sources; spec 1 is already the default
}
