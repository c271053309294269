package enet

// cmdQueue is a FIFO of outgoing commands with O(1) pops at the front and
// room to push requeued commands back in front.
type cmdQueue struct {
	buf  []*outCmd
	head int
}

func (q *cmdQueue) len() int         { return len(q.buf) - q.head }
func (q *cmdQueue) at(i int) *outCmd { return q.buf[q.head+i] }

func (q *cmdQueue) push(c *outCmd) {
	if q.head > 0 && q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	}
	q.buf = append(q.buf, c)
}

func (q *cmdQueue) pop() *outCmd {
	c := q.buf[q.head]
	q.buf[q.head] = nil
	q.head++
	if q.head == len(q.buf) {
		q.buf, q.head = q.buf[:0], 0
	} else if q.head >= 1024 && q.head*2 >= len(q.buf) {
		n := copy(q.buf, q.buf[q.head:])
		clear(q.buf[n:])
		q.buf, q.head = q.buf[:n], 0
	}
	return c
}

// remove takes out the i-th command.
func (q *cmdQueue) remove(i int) *outCmd {
	if i == 0 {
		return q.pop()
	}
	j := q.head + i
	c := q.buf[j]
	copy(q.buf[j:], q.buf[j+1:])
	q.buf[len(q.buf)-1] = nil
	q.buf = q.buf[:len(q.buf)-1]
	return c
}

// pushFront puts cs, in order, before the current front.
func (q *cmdQueue) pushFront(cs []*outCmd) {
	if len(cs) <= q.head {
		q.head -= len(cs)
		copy(q.buf[q.head:], cs)
		return
	}
	n := q.len()
	nb := make([]*outCmd, len(cs)+n, len(cs)+n+16)
	copy(nb, cs)
	copy(nb[len(cs):], q.buf[q.head:])
	q.buf, q.head = nb, 0
}

// drain calls f on every command and empties the queue.
func (q *cmdQueue) drain(f func(*outCmd)) {
	for i := q.head; i < len(q.buf); i++ {
		f(q.buf[i])
		q.buf[i] = nil
	}
	q.buf, q.head = q.buf[:0], 0
}
