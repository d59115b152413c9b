package nn

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaSmoke checks that the pinned gorgonia builds, runs a graph and
// differentiates it on this Go version.
func TestGorgoniaSmoke(t *testing.T) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("x"),
		G.WithValue(tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))))
	y := G.Must(G.Mul(x, x))
	s := G.Must(G.Sum(y))
	if _, err := G.Grad(s, x); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	// x·x = [[7 10] [15 22]], sum = 54.
	if got := s.Value().Data().(float32); got != 54 {
		t.Fatalf("sum = %v, want 54", got)
	}
	grad, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	// d/dx sum(x·x) = 1·xᵀ + xᵀ·1 with 1 the all-ones matrix.
	want := []float32{7, 11, 9, 13}
	for i, v := range grad.Data().([]float32) {
		if v != want[i] {
			t.Fatalf("grad = %v, want %v", grad.Data(), want)
		}
	}
}
