//go:build linux

package supervisor

// StatusAddress is statusAddress, for the tests that play a neighbour of the
// supervisor on its status socket.
func StatusAddress(trigger string) (string, error) {
	addr, err := statusAddress(trigger)
	if err != nil {
		return "", err
	}
	return addr.Name, nil
}

// Limits of the status socket, for the tests that reach them.
const (
	MaxWaiters  = maxWaiters
	StatusHello = statusHello
)
