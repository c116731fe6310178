# One load balancer + endpoint service per broker (see modules/broker-endpoint-service for why).
module "broker_endpoint_service" {
  source   = "../modules/broker-endpoint-service"
  for_each = toset(local.broker_ids)

  name               = "${var.name}-b${each.key}"
  vpc_id             = module.vpc.vpc_id
  subnet_ids         = module.vpc.private_subnet_ids
  target_ip          = local.brokers[each.key].ip
  ports              = toset(values(local.listener_ports))
  allowed_principals = local.consumer_principals
}
