# Model of terraform-aws-modules/elb/aws 2.x-4.x (Palisade's own summary,
# not the module's code).

variable "create_elb" {
  type    = bool
  default = true
}

variable "name" {
  type    = string
  default = null
}

variable "internal" {
  type    = bool
  default = false
}

variable "listener" {
  type = list(map(string))
}

variable "access_logs" {
  type    = map(string)
  default = {}
}

module "elb" {
  source = "./modules/elb"

  create_elb  = var.create_elb
  name        = var.name
  internal    = var.internal
  listener    = var.listener
  access_logs = var.access_logs
}
