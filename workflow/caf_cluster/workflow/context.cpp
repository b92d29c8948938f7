// stub, implementation follows
