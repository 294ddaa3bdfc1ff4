package auditlog

import (
	"context"
	"log/slog"

	"github.com/strongbox-go/strongbox/rbac"
)

// Decision writes e to l.
func Decision(ctx context.Context, l *slog.Logger, e rbac.AuditEvent) {
	var buf [9]slog.Attr
	attrs := append(buf[:0],
		slog.String("operation", e.Operation), slog.String("action", string(e.Action)),
		slog.String("principal", e.Principal), slog.String("namespace", e.Namespace),
		slog.Any("names", e.Names), slog.String("outcome", e.Outcome), slog.String("code", e.Code))
	if e.DecryptersBefore != nil {
		attrs = append(attrs, slog.Any("decryptersBefore", e.DecryptersBefore))
	}
	if e.DecryptersAfter != nil {
		attrs = append(attrs, slog.Any("decryptersAfter", e.DecryptersAfter))
	}
	l.LogAttrs(ctx, slog.LevelInfo, "strongbox decision", attrs...)
}
