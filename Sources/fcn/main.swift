print("fcn")
