package supervisor

// EnvNames returns the environment variables the supervisor reads, in the
// order of its options. The frontend accepts the same names as build args.
func EnvNames() []string {
	names := make([]string, len(options))
	for i, o := range options {
		names[i] = o.env
	}
	return names
}
