#include <cstdio>
int main() { std::puts("cowcheck: under construction"); return 0; }
