# Model of terraform-aws-modules/security-group/aws 4.x-5.x (Palisade's own
# summary, not the module's code). Ingress rules open to CIDR ranges only.

variable "create" {
  type    = bool
  default = true
}

variable "putin_khuylo" {
  type    = bool
  default = true
}

variable "create_sg" {
  type    = bool
  default = true
}

variable "security_group_id" {
  type    = string
  default = null
}

variable "name" {
  type    = string
  default = null
}

variable "use_name_prefix" {
  type    = bool
  default = true
}

variable "description" {
  type    = string
  default = "Security Group managed by Terraform"
}

variable "vpc_id" {
  type    = string
  default = null
}

# Named rules: [from port, to port, protocol, description]. The module knows
# many more names; a name missing here makes its rule unknown to the model.
variable "rules" {
  type = map(list(any))
  default = {
    "_"                      = ["", "", ""]
    "all-all"                = [-1, -1, "-1", "All protocols"]
    "all-tcp"                = [0, 65535, "tcp", "All TCP ports"]
    "all-udp"                = [0, 65535, "udp", "All UDP ports"]
    "all-icmp"               = [-1, -1, "icmp", "All IPV4 ICMP"]
    "all-ipv6-icmp"          = [-1, -1, 58, "All IPV6 ICMP"]
    "ssh-tcp"                = [22, 22, "tcp", "SSH"]
    "rdp-tcp"                = [3389, 3389, "tcp", "Remote Desktop"]
    "rdp-udp"                = [3389, 3389, "udp", "Remote Desktop"]
    "http-80-tcp"            = [80, 80, "tcp", "HTTP"]
    "http-8080-tcp"          = [8080, 8080, "tcp", "HTTP"]
    "https-443-tcp"          = [443, 443, "tcp", "HTTPS"]
    "https-8443-tcp"         = [8443, 8443, "tcp", "HTTPS"]
    "mysql-tcp"              = [3306, 3306, "tcp", "MySQL/Aurora"]
    "postgresql-tcp"         = [5432, 5432, "tcp", "PostgreSQL"]
    "mssql-tcp"              = [1433, 1433, "tcp", "MSSQL Server"]
    "oracle-db-tcp"          = [1521, 1521, "tcp", "Oracle"]
    "redshift-tcp"           = [5439, 5439, "tcp", "Redshift"]
    "redis-tcp"              = [6379, 6379, "tcp", "Redis"]
    "memcached-tcp"          = [11211, 11211, "tcp", "Memcached"]
    "mongodb-27017-tcp"      = [27017, 27017, "tcp", "MongoDB"]
    "elasticsearch-rest-tcp" = [9200, 9200, "tcp", "Elasticsearch REST interface"]
    "elasticsearch-java-tcp" = [9300, 9300, "tcp", "Elasticsearch Java interface"]
    "kafka-broker-tcp"       = [9092, 9092, "tcp", "Kafka PLAINTEXT enable broker 0.8.2+"]
    "kubernetes-api-tcp"     = [6443, 6443, "tcp", "Kubernetes API Server"]
    "winrm-http-tcp"         = [5985, 5985, "tcp", "WinRM HTTP"]
    "winrm-https-tcp"        = [5986, 5986, "tcp", "WinRM HTTPS"]
    "dns-udp"                = [53, 53, "udp", "DNS"]
    "dns-tcp"                = [53, 53, "tcp", "DNS"]
    "ntp-udp"                = [123, 123, "udp", "NTP"]
    "nfs-tcp"                = [2049, 2049, "tcp", "NFS/EFS"]
    "ldap-tcp"               = [389, 389, "tcp", "LDAP"]
    "ldaps-tcp"              = [636, 636, "tcp", "LDAPS"]
  }
}

# CIDR ranges of the named rules, and of the `ingress_with_*` entries that
# give none of their own.
variable "ingress_cidr_blocks" {
  type    = list(string)
  default = []
}

variable "ingress_ipv6_cidr_blocks" {
  type    = list(string)
  default = []
}

variable "ingress_rules" {
  type    = list(string)
  default = []
}

variable "ingress_with_cidr_blocks" {
  type    = list(map(string))
  default = []
}

variable "ingress_with_ipv6_cidr_blocks" {
  type    = list(map(string))
  default = []
}

# The `computed_` lists are read up to the count given beside them.
variable "computed_ingress_rules" {
  type    = list(string)
  default = []
}

variable "number_of_computed_ingress_rules" {
  type    = number
  default = 0
}

variable "computed_ingress_with_cidr_blocks" {
  type    = list(map(string))
  default = []
}

variable "number_of_computed_ingress_with_cidr_blocks" {
  type    = number
  default = 0
}

variable "computed_ingress_with_ipv6_cidr_blocks" {
  type    = list(map(string))
  default = []
}

variable "number_of_computed_ingress_with_ipv6_cidr_blocks" {
  type    = number
  default = 0
}

locals {
  create = var.create && var.putin_khuylo

  group_id = var.create_sg ? (var.use_name_prefix ? aws_security_group.this_name_prefix[0].id : aws_security_group.this[0].id) : var.security_group_id
}

resource "aws_security_group" "this" {
  count = local.create && var.create_sg && !var.use_name_prefix ? 1 : 0

  name        = var.name
  description = var.description
  vpc_id      = var.vpc_id
}

resource "aws_security_group" "this_name_prefix" {
  count = local.create && var.create_sg && var.use_name_prefix ? 1 : 0

  name_prefix = "${var.name}-"
  description = var.description
  vpc_id      = var.vpc_id
}

resource "aws_security_group_rule" "ingress_rules" {
  count = local.create ? length(var.ingress_rules) : 0

  security_group_id = local.group_id
  type              = "ingress"
  cidr_blocks       = var.ingress_cidr_blocks
  ipv6_cidr_blocks  = var.ingress_ipv6_cidr_blocks
  from_port         = var.rules[var.ingress_rules[count.index]][0]
  to_port           = var.rules[var.ingress_rules[count.index]][1]
  protocol          = var.rules[var.ingress_rules[count.index]][2]
  description       = var.rules[var.ingress_rules[count.index]][3]
}

resource "aws_security_group_rule" "computed_ingress_rules" {
  count = local.create ? var.number_of_computed_ingress_rules : 0

  security_group_id = local.group_id
  type              = "ingress"
  cidr_blocks       = var.ingress_cidr_blocks
  ipv6_cidr_blocks  = var.ingress_ipv6_cidr_blocks
  from_port         = var.rules[var.computed_ingress_rules[count.index]][0]
  to_port           = var.rules[var.computed_ingress_rules[count.index]][1]
  protocol          = var.rules[var.computed_ingress_rules[count.index]][2]
  description       = var.rules[var.computed_ingress_rules[count.index]][3]
}

# An entry names a rule, or gives its ports and protocol itself; its
# `cidr_blocks` is one comma-separated string.
resource "aws_security_group_rule" "ingress_with_cidr_blocks" {
  count = local.create ? length(var.ingress_with_cidr_blocks) : 0

  security_group_id = local.group_id
  type              = "ingress"
  cidr_blocks       = compact(split(",", lookup(var.ingress_with_cidr_blocks[count.index], "cidr_blocks", join(",", var.ingress_cidr_blocks))))
  from_port         = lookup(var.ingress_with_cidr_blocks[count.index], "from_port", var.rules[lookup(var.ingress_with_cidr_blocks[count.index], "rule", "_")][0])
  to_port           = lookup(var.ingress_with_cidr_blocks[count.index], "to_port", var.rules[lookup(var.ingress_with_cidr_blocks[count.index], "rule", "_")][1])
  protocol          = lookup(var.ingress_with_cidr_blocks[count.index], "protocol", var.rules[lookup(var.ingress_with_cidr_blocks[count.index], "rule", "_")][2])
  description       = lookup(var.ingress_with_cidr_blocks[count.index], "description", "Ingress Rule")
}

resource "aws_security_group_rule" "computed_ingress_with_cidr_blocks" {
  count = local.create ? var.number_of_computed_ingress_with_cidr_blocks : 0

  security_group_id = local.group_id
  type              = "ingress"
  cidr_blocks       = compact(split(",", lookup(var.computed_ingress_with_cidr_blocks[count.index], "cidr_blocks", join(",", var.ingress_cidr_blocks))))
  from_port         = lookup(var.computed_ingress_with_cidr_blocks[count.index], "from_port", var.rules[lookup(var.computed_ingress_with_cidr_blocks[count.index], "rule", "_")][0])
  to_port           = lookup(var.computed_ingress_with_cidr_blocks[count.index], "to_port", var.rules[lookup(var.computed_ingress_with_cidr_blocks[count.index], "rule", "_")][1])
  protocol          = lookup(var.computed_ingress_with_cidr_blocks[count.index], "protocol", var.rules[lookup(var.computed_ingress_with_cidr_blocks[count.index], "rule", "_")][2])
  description       = lookup(var.computed_ingress_with_cidr_blocks[count.index], "description", "Ingress Rule")
}

resource "aws_security_group_rule" "ingress_with_ipv6_cidr_blocks" {
  count = local.create ? length(var.ingress_with_ipv6_cidr_blocks) : 0

  security_group_id = local.group_id
  type              = "ingress"
  ipv6_cidr_blocks  = compact(split(",", lookup(var.ingress_with_ipv6_cidr_blocks[count.index], "ipv6_cidr_blocks", join(",", var.ingress_ipv6_cidr_blocks))))
  from_port         = lookup(var.ingress_with_ipv6_cidr_blocks[count.index], "from_port", var.rules[lookup(var.ingress_with_ipv6_cidr_blocks[count.index], "rule", "_")][0])
  to_port           = lookup(var.ingress_with_ipv6_cidr_blocks[count.index], "to_port", var.rules[lookup(var.ingress_with_ipv6_cidr_blocks[count.index], "rule", "_")][1])
  protocol          = lookup(var.ingress_with_ipv6_cidr_blocks[count.index], "protocol", var.rules[lookup(var.ingress_with_ipv6_cidr_blocks[count.index], "rule", "_")][2])
  description       = lookup(var.ingress_with_ipv6_cidr_blocks[count.index], "description", "Ingress Rule")
}

resource "aws_security_group_rule" "computed_ingress_with_ipv6_cidr_blocks" {
  count = local.create ? var.number_of_computed_ingress_with_ipv6_cidr_blocks : 0

  security_group_id = local.group_id
  type              = "ingress"
  ipv6_cidr_blocks  = compact(split(",", lookup(var.computed_ingress_with_ipv6_cidr_blocks[count.index], "ipv6_cidr_blocks", join(",", var.ingress_ipv6_cidr_blocks))))
  from_port         = lookup(var.computed_ingress_with_ipv6_cidr_blocks[count.index], "from_port", var.rules[lookup(var.computed_ingress_with_ipv6_cidr_blocks[count.index], "rule", "_")][0])
  to_port           = lookup(var.computed_ingress_with_ipv6_cidr_blocks[count.index], "to_port", var.rules[lookup(var.computed_ingress_with_ipv6_cidr_blocks[count.index], "rule", "_")][1])
  protocol          = lookup(var.computed_ingress_with_ipv6_cidr_blocks[count.index], "protocol", var.rules[lookup(var.computed_ingress_with_ipv6_cidr_blocks[count.index], "rule", "_")][2])
  description       = lookup(var.computed_ingress_with_ipv6_cidr_blocks[count.index], "description", "Ingress Rule")
}
