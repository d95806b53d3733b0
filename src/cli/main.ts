import { Command } from 'commander';

const program = new Command('webpig').description('Payment webhooks made boring.');
program.parse();
