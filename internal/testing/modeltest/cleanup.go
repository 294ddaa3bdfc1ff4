package modeltest

// dropNamespaces removes everything a finished sequence stored, straight
// from the store (no Manager, no faults). Sequences share one store and
// each uses namespaces of its own, so nothing a later sequence checks
// depends on them; left in place they only grow the store every later
// check lists (memdocstore scans the whole collection for every query), so
// the run's time grew with the square of its length, and value history,
// which keeps more ciphertexts per secret, made that worse.
func (s *state) dropNamespaces() {
	ctx := background()
	for _, ns := range []string{s.nsA, s.nsB} {
		mds, err := listAllMetadata(ctx, s.h.store, ns)
		if err != nil {
			s.t.Errorf("cleanup: listing %s: %v", ns, err)
			return
		}
		for _, md := range mds {
			if err := s.h.store.DeleteSecret(ctx, ns, md.Name, md.Revision); err != nil {
				s.t.Errorf("cleanup: deleting %s/%s: %v", ns, md.Name, err)
			}
		}
		refs, err := listAllCiphertexts(ctx, s.h.store, ns)
		if err != nil {
			s.t.Errorf("cleanup: listing ciphertexts of %s: %v", ns, err)
			return
		}
		for _, r := range refs {
			if err := s.h.store.DeleteCiphertext(ctx, r.Namespace, r.Name, r.ValueID); err != nil {
				s.t.Errorf("cleanup: deleting a ciphertext of %s: %v", ns, err)
			}
		}
	}
}
