print("vtok")
