package source

// envMap returns an environ function over m, for Options.Env.
func envMap(m map[string]string) func() []string {
	env := make([]string, 0, len(m))
	for k, v := range m {
		env = append(env, k+"="+v)
	}
	return func() []string { return env }
}
