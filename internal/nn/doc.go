// Package nn holds the neural-network building blocks shared by the
// recommender and the GAN, written on gorgonia with float32 tensors.
package nn
