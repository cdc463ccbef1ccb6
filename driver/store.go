package driver

import "sync"

// taskStore holds the handles of the tasks this plugin runs.
type taskStore struct {
	mu    sync.RWMutex
	tasks map[string]*taskHandle
}

func newTaskStore() *taskStore { return &taskStore{tasks: map[string]*taskHandle{}} }

func (s *taskStore) Set(id string, h *taskHandle) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tasks[id] = h
}

func (s *taskStore) Get(id string) (*taskHandle, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h, ok := s.tasks[id]
	return h, ok
}

func (s *taskStore) Delete(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tasks, id)
}

// containerIDs returns the IDs of every tracked container.
func (s *taskStore) containerIDs() map[string]bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make(map[string]bool, len(s.tasks))
	for _, h := range s.tasks {
		ids[h.containerID] = true
	}
	return ids
}

// each calls fn for every tracked task.
func (s *taskStore) each(fn func(*taskHandle)) {
	s.mu.RLock()
	handles := make([]*taskHandle, 0, len(s.tasks))
	for _, h := range s.tasks {
		handles = append(handles, h)
	}
	s.mu.RUnlock()
	for _, h := range handles {
		fn(h)
	}
}
